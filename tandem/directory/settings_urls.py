"""The directory profile page of the practice settings, under the practice's settings path."""

from django.urls import path

from tandem.directory import settings_views

app_name = "directory_settings"

urlpatterns = [
    path("<uuid:org_id>/settings/directory/", settings_views.profile, name="profile"),
]
