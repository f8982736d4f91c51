"""The referral policy page of the practice settings, under the practice's settings path.

Included from ``tandem.urls`` beside ``tandem.organisations.urls`` (the paths
start ``organisations/<org_id>/settings/``), so organisations need not import referrals.
"""

from django.urls import path

from tandem.referrals import settings_views

app_name = "referral_settings"

urlpatterns = [
    path("<uuid:org_id>/settings/referrals/", settings_views.referral_policy, name="policy"),
]
