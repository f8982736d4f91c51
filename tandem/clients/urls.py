from django.urls import path

from tandem.clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("<uuid:client_id>/", views.client_detail, name="detail"),
    path("me/emergency-contact/", views.emergency_contact, name="emergency_contact"),
]
