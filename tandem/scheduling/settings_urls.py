"""The booking pages of the practice settings, under the practice's settings path.

Included from ``tandem.urls`` beside ``tandem.organisations.urls`` (the paths
start ``organisations/``), so organisations need not import scheduling.
"""

from django.urls import path

from tandem.scheduling import settings_views

app_name = "scheduling_settings"

urlpatterns = [
    path("<uuid:org_id>/settings/booking/", settings_views.scheduling, name="booking"),
    path("<uuid:org_id>/settings/booking/types/add/", settings_views.add_type, name="type_add"),
    path("settings/types/<uuid:appointment_type_id>/", settings_views.edit_type, name="type"),
    path(
        "settings/types/<uuid:appointment_type_id>/active/",
        settings_views.type_active,
        name="type_active",
    ),
    path("<uuid:org_id>/settings/hours/", settings_views.hours, name="hours"),
    path("<uuid:org_id>/settings/hours/add/", settings_views.add_hours, name="hours_add"),
    path("<uuid:org_id>/settings/hours/week/", settings_views.hours_week, name="hours_week"),
    path(
        "settings/hours/<uuid:hours_id>/remove/",
        settings_views.remove_hours,
        name="hours_remove",
    ),
    path("<uuid:org_id>/settings/hours/time-off/", settings_views.add_time_off, name="time_off"),
]
