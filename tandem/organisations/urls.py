from django.urls import path

from tandem.organisations import settings_views, views

app_name = "organisations"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<uuid:org_id>/", views.detail, name="detail"),
    path("<uuid:org_id>/members/invite/", views.invite, name="invite"),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        views.revoke_invitation,
        name="invitation_revoke",
    ),
    # The emailed link: the invitation's public id, signed (see access.invitation_link_token).
    path("invitations/accept/<str:invitation_token>/", views.invitation, name="invitation"),
    path("members/<uuid:membership_id>/revoke/", views.revoke, name="revoke"),
    # Practice settings (practice admins with MFA).
    path("<uuid:org_id>/settings/", settings_views.home, name="settings"),
    path(
        "<uuid:org_id>/settings/referrals/",
        settings_views.referral_policy,
        name="settings_policy",
    ),
    path(
        "<uuid:org_id>/settings/booking/",
        settings_views.scheduling,
        name="settings_scheduling",
    ),
    path(
        "<uuid:org_id>/settings/booking/types/add/",
        settings_views.add_type,
        name="settings_type_add",
    ),
    path(
        "settings/types/<uuid:appointment_type_id>/",
        settings_views.edit_type,
        name="settings_type",
    ),
    path(
        "settings/types/<uuid:appointment_type_id>/active/",
        settings_views.type_active,
        name="settings_type_active",
    ),
    path("<uuid:org_id>/settings/hours/", settings_views.hours, name="settings_hours"),
    path(
        "<uuid:org_id>/settings/hours/add/",
        settings_views.add_hours,
        name="settings_hours_add",
    ),
    path(
        "settings/hours/<uuid:hours_id>/remove/",
        settings_views.remove_hours,
        name="settings_hours_remove",
    ),
    path(
        "<uuid:org_id>/settings/hours/time-off/",
        settings_views.add_time_off,
        name="settings_time_off",
    ),
    path("<uuid:org_id>/settings/consent/", settings_views.consent, name="settings_consent"),
    path("<uuid:org_id>/settings/calendar/", settings_views.locale, name="settings_locale"),
]
