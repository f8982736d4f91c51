"""The roster import pages of the practice settings, under the practice's settings path.

Included from ``tandem.urls`` beside ``tandem.organisations.urls`` (the paths start
``organisations/<org_id>/settings/``), so organisations need not import fhir.
"""

from django.urls import path

from tandem.fhir import roster_views

app_name = "fhir_roster"

urlpatterns = [
    path("<uuid:org_id>/settings/roster/", roster_views.upload, name="upload"),
    path("<uuid:org_id>/settings/roster/<uuid:import_id>/", roster_views.status, name="import"),
]
