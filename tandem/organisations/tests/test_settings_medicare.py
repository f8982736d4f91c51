"""The referral policy says whether the practice opted out of Medicare; the bot follows it."""

import pytest
from django.urls import reverse

from tandem.organisations.tests.test_settings import POLICY_FORM, practice  # noqa: F401
from tandem.referrals.models import PracticePolicy

pytestmark = pytest.mark.django_db


def _url(org):
    return reverse("referral_settings:policy", args=[org.public_id])


def test_the_admin_records_the_practices_medicare_opt_out(client, practice):  # noqa: F811
    # Given the practice's admin on the referral policy page
    client.force_login(practice.admin)
    page = client.get(_url(practice.org)).content.decode()
    assert "Our prescribers have opted out of Medicare" in page

    # When they tick the opt-out and save
    response = client.post(_url(practice.org), POLICY_FORM | {"medicare_opted_out": "on"})

    # Then the policy records it
    assert response.status_code == 302
    assert PracticePolicy.objects.get(organisation=practice.org).medicare_opted_out is True


def test_an_opt_out_cannot_sit_beside_accepting_medicare(client, practice):  # noqa: F811
    # Given the practice's admin
    client.force_login(practice.admin)

    # When they tick both "accepts Medicare" and the opt-out
    response = client.post(
        _url(practice.org),
        POLICY_FORM | {"medicare_opted_out": "on", "payers": ["commercial", "medicare"]},
    )

    # Then the page names the field and the rule, and nothing changed
    assert response.status_code == 400
    assert (
        "A practice that has opted out of Medicare cannot bill it: untick Medicare under "
        "coverage accepted, or untick the opt-out."
    ) in response.content.decode()
    rules = PracticePolicy.objects.get(organisation=practice.org)
    assert (rules.medicare_opted_out, rules.payers) == (False, ["commercial"])
