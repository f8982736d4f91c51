"""The directory's pages through HTTP: search, one-click referral, partners, profile, public page."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.demo.directory_network import seed_directory_network
from tandem.directory import actions
from tandem.directory.models import PracticeMetrics, PracticeProfile
from tandem.directory.tests.factories import practice
from tandem.referrals.models import Payer, PlanType, Referral, Service
from tandem.referrals.tests.factories import ReferralWorld

pytestmark = pytest.mark.django_db

ARTICLE_QUERY = {
    "state": "MA",
    "age": "32",
    "payer": Payer.COMMERCIAL,
    "plan_type": PlanType.PPO,
    "service": Service.MEDICATION_MANAGEMENT,
    "within_weeks": "4",
}


def test_a_therapist_searches_and_sees_why_a_practice_matches_and_its_measured_flags(client):
    harbor = practice("Harbor Psychiatry")
    now = timezone.now()
    PracticeMetrics.objects.create(
        organisation=harbor, computed_at=now, period_start=now - dt.timedelta(days=90),
        period_end=now, response_n=12, response_median_hours=6.0, response_p90_hours=20.0,
        visit_n=7, visit_median_days=18.0, notes_n=6, notes_share=0.833,
    )  # fmt: skip
    practice("Granite Psychiatry", visit_states=["NH"])
    client.force_login(make_staff(Role.THERAPIST))

    page = client.get(reverse("directory:search"), ARTICLE_QUERY)

    body = page.content.decode()
    assert page.status_code == 200
    assert "1 practice fits of 2" in body
    assert "Responds within 2 business days" in body
    assert "New patients seen within 4 weeks" in body
    assert "Sends consult notes" in body
    assert "median 6 business hours (12 referrals)" in body
    assert "Why it matches" in body
    assert "Accepts commercial insurance PPO" in body
    assert "Granite Psychiatry can only see clients who are in New Hampshire" in body


def test_nothing_fits_names_the_filter_that_excludes_most_and_links_the_relaxed_search(client):
    practice("Harbor Psychiatry")
    practice("Bay Psychiatry")
    client.force_login(make_staff(Role.THERAPIST))

    page = client.get(reverse("directory:search"), {"state": "MA", "language": "pt"})

    body = page.content.decode()
    assert "No practice fits every filter" in body
    assert 'data-excluded-most="language"' in body
    assert "it excludes 2 of 2" in body
    assert 'href="/directory/?state=MA"' in body


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PRESCRIBER, Role.PRACTICE_ADMIN])
def test_only_therapists_search_the_directory(client, role):
    client.force_login(make_staff(role))

    assert client.get(reverse("directory:search")).status_code == 404
    assert client.get(reverse("directory:partners")).status_code == 404


def test_bad_search_input_names_the_field_and_the_rule(client):
    client.force_login(make_staff(Role.THERAPIST))

    page = client.get(reverse("directory:search"), {"age": "-3", "within_weeks": "99"})

    body = page.content.decode()
    assert page.status_code == 400
    assert "greater than or equal to 0" in body
    assert "less than or equal to 26" in body


def _search_queries(client, count: int) -> int:
    seed_directory_network(count, now=timezone.now(), tag=f"q{count}")
    client.force_login(make_staff(Role.THERAPIST))
    url = reverse("directory:search")
    client.get(url, ARTICLE_QUERY)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, ARTICLE_QUERY).status_code == 200
    return len(queries)


def test_the_search_costs_the_same_queries_for_5_and_for_500_practices(client):
    small = _search_queries(client, 5)
    PracticeProfile.objects.update(listed=False)
    large = _search_queries(client, 500)

    assert small == large


# --- One click from a result to a referral -------------------------------------------------


def _world_listed() -> ReferralWorld:
    world = ReferralWorld()
    PracticeProfile.objects.create(organisation=world.psychiatry, telehealth=True)
    return world


def test_start_a_referral_from_a_result_in_one_click_with_the_filters_as_eligibility_answers(
    client,
):
    world = _world_listed()
    client.force_login(world.therapist)

    response = client.post(
        reverse("directory:refer"),
        {
            "client": world.client.public_id,
            "practice": world.psychiatry.public_id,
            "state": "MA",
            "payer": Payer.COMMERCIAL,
            "plan_type": PlanType.PPO,
            "service": Service.ADULT_ADHD,
            "idempotency_key": "2f1d7d3e-7f35-4a8e-9a5c-1d1b2b3c4d5e",
        },
    )

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:edit", args=[referral.public_id])
    assert (referral.to_organisation, referral.visit_state, referral.payer) == (
        world.psychiatry,
        "MA",
        Payer.COMMERCIAL,
    )
    assert (referral.plan_type, referral.service) == (PlanType.PPO, Service.ADULT_ADHD)


def test_a_client_who_does_not_fit_lands_on_the_referral_form_with_the_answers_filled_in(client):
    world = _world_listed()
    client.force_login(world.therapist)

    response = client.post(
        reverse("directory:refer"),
        {
            "client": world.client.public_id,
            "practice": world.psychiatry.public_id,
            "state": "MA",
            "payer": Payer.MEDICAID,
            "service": Service.MEDICATION_MANAGEMENT,
        },
    )

    assert Referral.objects.count() == 0
    target = urlparse(response["Location"])
    assert target.path == reverse("referrals:start", args=[world.client.public_id])
    assert parse_qs(target.query)["payer"] == [Payer.MEDICAID]
    form = client.get(response["Location"]).content.decode()
    assert "does not accept Medicaid" in form
    assert f'<option value="{world.psychiatry.pk}" selected>' in form
    assert '<option value="medicaid" selected>' in form


def test_a_therapist_cannot_refer_someone_elses_client_from_the_directory(client):
    world = _world_listed()
    stranger = make_staff(Role.THERAPIST)
    client.force_login(stranger)

    response = client.post(
        reverse("directory:refer"),
        {"client": world.client.public_id, "practice": world.psychiatry.public_id, "state": "MA",
         "payer": Payer.COMMERCIAL, "plan_type": PlanType.PPO, "service": Service.ADULT_ADHD},
    )  # fmt: skip

    assert response.status_code == 404
    assert Referral.objects.count() == 0


# --- The practice's profile: stated, never measured ----------------------------------------


def test_the_admin_edits_the_profile_and_a_posted_measured_figure_is_ignored(client):
    org = practice("Harbor Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, org)
    client.force_login(admin)

    response = client.post(
        reverse("directory_settings:profile", args=[org.public_id]),
        {
            "listed": "on",
            "telehealth": "on",
            "languages": ["en", "es"],
            "specialties": ["perinatal"],
            "prescribers": "Dr. Ada Synthetic | MD | Board certified in psychiatry | MGH",
            "response_median_hours": "1",
            "visit_median_days": "2",
        },
    )

    assert response.status_code == 302
    profile = PracticeProfile.objects.get(organisation=org)
    assert profile.languages == ["en", "es"]
    assert profile.prescribers == [
        {"name": "Dr. Ada Synthetic", "credentials": "MD",
         "board_certification": "Board certified in psychiatry", "training": "MGH"}
    ]  # fmt: skip
    assert not PracticeMetrics.objects.filter(organisation=org).exists()


def test_the_profile_action_refuses_a_measured_figure_outright():
    org = practice("Harbor Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, org)

    with pytest.raises(Forbidden, match="cannot edit them"):
        actions.update_profile(
            actor=admin, organisation=org, data={"about": "Fast!", "response_median_hours": 1.0}
        )

    assert PracticeProfile.objects.get(organisation=org).about == ""


def test_a_prescriber_cannot_open_the_profile_settings(client):
    org = practice("Harbor Psychiatry")
    client.force_login(make_staff(Role.PRESCRIBER, org))

    assert (
        client.get(reverse("directory_settings:profile", args=[org.public_id])).status_code == 404
    )


def test_bad_profile_input_names_the_field_and_the_rule(client):
    org = practice("Harbor Psychiatry")
    client.force_login(make_staff(Role.PRACTICE_ADMIN, org))

    page = client.post(
        reverse("directory_settings:profile", args=[org.public_id]),
        {"prescribers": " | MD", "about": "x" * 4001},
    )

    body = page.content.decode()
    assert page.status_code == 400
    assert "Choose telehealth, in person, or both." in body
    assert "Prescribers, line 1: the name comes first." in body
    assert "at most 4000 characters" in body


def test_the_public_page_shows_the_stated_profile_and_the_measured_flags(client):
    org = practice(
        "Harbor Psychiatry",
        profile={"about": "Adult psychiatry.", "specialties": ["perinatal"],
                 "prescribers": [{"name": "Dr. Ada Synthetic", "credentials": "MD"}]},
    )  # fmt: skip

    body = client.get(reverse("intake:practice", args=[org.public_id])).content.decode()

    assert "Perinatal and postpartum" in body
    assert "Dr. Ada Synthetic, MD" in body
    assert "(as stated by the practice)" in body
    assert "Measured by Tandem" in body
    assert "Not enough data yet" in body
    assert "Request an appointment" in body


def test_how_it_is_measured_is_public_and_names_every_figure(client):
    body = client.get(reverse("directory:how")).content.decode()

    for anchor in ("response", "offer", "first-visit", "consult-notes", "messages", "experience"):
        assert f'id="{anchor}"' in body


def _partners_queries(client, count: int) -> int:
    import uuid

    from tandem.core.tests.factories import ClientFactory, add_to_care_team
    from tandem.referrals.models import Referral as R

    world = ReferralWorld()
    for n in range(count):
        org = practice(f"Partner {n} Psychiatry")
        seen = ClientFactory()
        add_to_care_team(seen, world.therapist, Role.THERAPIST)
        R.objects.create(
            client=seen, therapist=world.therapist, from_organisation=world.therapy,
            to_organisation=org, status="sent", idempotency_key=uuid.uuid4(), payer="commercial",
            visit_state="MA", service="medication_management", sent_at=timezone.now(),
            responded_at=timezone.now(),
        )  # fmt: skip
    client.force_login(world.therapist)
    url = reverse("directory:partners")
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert body.count("data-partner=") == count
    return len(queries)


def test_my_partners_costs_the_same_queries_for_2_and_for_8_practices(client):
    assert _partners_queries(client, 2) == _partners_queries(client, 8)
