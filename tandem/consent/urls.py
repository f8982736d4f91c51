from django.urls import path

from tandem.consent import views

app_name = "consent"

urlpatterns = [
    path("releases/", views.my_releases, name="mine"),
    path("releases/<uuid:release_id>/sign/", views.sign, name="sign"),
    path("releases/<uuid:release_id>/revoke/", views.revoke, name="revoke"),
    path("clients/<uuid:client_id>/", views.client_status, name="client_status"),
]
