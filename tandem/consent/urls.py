from django.urls import path

from tandem.consent import views

app_name = "consent"

urlpatterns = [
    path("releases/", views.my_releases, name="mine"),
    path("releases/<uuid:release_id>/sign/", views.sign, name="sign"),
    path("releases/<uuid:release_id>/revoke/", views.revoke, name="revoke"),
    path("releases/<uuid:release_id>/attest/", views.attest, name="attest"),
    path("releases/<uuid:release_id>/pdf/", views.release_pdf, name="release_pdf"),
    path("clients/<uuid:client_id>/", views.client_status, name="client_status"),
    path("clients/<uuid:client_id>/releases/new/", views.prepare, name="prepare"),
    path(
        "clients/<uuid:client_id>/treatment-disclosures/new/",
        views.record_basis,
        name="record_basis",
    ),
    path("disclosures/", views.disclosures, name="disclosures"),
    path("disclosures.csv", views.disclosures_csv, name="disclosures_csv"),
    path("disclosures.pdf", views.disclosures_pdf, name="disclosures_pdf"),
    path("expiring/", views.expiring, name="expiring"),
]
