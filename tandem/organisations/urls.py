from django.urls import path

from tandem.organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<uuid:org_id>/", views.detail, name="detail"),
    path("<uuid:org_id>/members/grant/", views.grant, name="grant"),
    path("members/<uuid:membership_id>/revoke/", views.revoke, name="revoke"),
]
