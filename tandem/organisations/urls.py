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
    # Practice settings (practice admins with MFA): the overview and the practice's own
    # sections. Referral policy and booking pages are the referrals and scheduling apps'
    # (their settings_urls.py, included under this same prefix by tandem.urls).
    path("<uuid:org_id>/settings/", settings_views.home, name="settings"),
    path("<uuid:org_id>/settings/consent/", settings_views.consent, name="settings_consent"),
    path("<uuid:org_id>/settings/calendar/", settings_views.locale, name="settings_locale"),
]
