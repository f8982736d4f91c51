"""The practice settings pages: the admin sets them, bad input is refused, nobody else gets in."""

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.organisations.access import organisation_for
from tandem.organisations.models import Organisation
from tandem.referrals.models import PracticePolicy
from tandem.scheduling import agenda, selectors
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours
from tandem.scheduling.tests.factories import Practice, at

pytestmark = pytest.mark.django_db

POLICY_FORM = {
    "accepting_new": "on",
    "min_age": "21",
    "max_age": "70",
    "visit_states": "ma, nh",
    "payers": ["commercial", "self_pay"],
    "plan_types": ["PPO"],
    "services": ["medication_management", "adult_adhd"],
    "response_target_days": "1",
    "urgent_response_hours": "4",
    "access_target_weeks": "3",
    "opens": "08:30",
    "closes": "17:00",
}


@pytest.fixture
def practice():
    world = Practice()
    world.admin = make_staff(Role.PRACTICE_ADMIN, world.org)
    PracticePolicy.objects.create(
        organisation=world.org,
        visit_states=["MA"],
        payers=["commercial"],
        services=["medication_management"],
    )
    return world


def _url(name, org):
    return reverse(name, args=[org.public_id])


def _changes(org):
    return list(
        AuditEvent.objects.filter(organisation_id=str(org.public_id))
        .exclude(action=AuditAction.VIEW)
        .order_by("seq")
        .values_list("action", "object_type", "detail")
    )


# --- Referral policy ----------------------------------------------------------------------


def test_the_admin_saves_the_referral_policy_and_it_is_audited_by_field_name(client, practice):
    # Given the admin of the practice, signed in
    client.force_login(practice.admin)
    before = len(_changes(practice.org))

    # When they save a new policy
    response = client.post(_url("referral_settings:policy", practice.org), POLICY_FORM)

    # Then it is saved, and one audit row names the changed fields (no values)
    assert response.status_code == 302
    rules = PracticePolicy.objects.get(organisation=practice.org)
    assert (rules.min_age, rules.max_age) == (21, 70)
    assert rules.visit_states == ["MA", "NH"]
    assert rules.payers == ["commercial", "self_pay"]
    assert rules.plan_types == ["PPO"]
    assert rules.services == ["medication_management", "adult_adhd"]
    assert rules.response_target_days == 1
    assert rules.access_target_weeks == 3
    assert (rules.opens, rules.closes) == (dt.time(8, 30), dt.time(17))
    assert _changes(practice.org)[before:] == [
        (
            "update",
            "referrals.practicepolicy",
            {
                "changed": [
                    "min_age",
                    "max_age",
                    "visit_states",
                    "payers",
                    "plan_types",
                    "services",
                    "response_target_days",
                    "access_target_weeks",
                    "opens",
                ]
            },
        )
    ]


def test_a_bad_policy_names_each_field_keeps_what_was_typed_and_changes_nothing(client, practice):
    # Given the admin, signed in
    client.force_login(practice.admin)
    before = len(_changes(practice.org))

    # When they send ages the wrong way round, an unknown state and hours that close before opening
    data = POLICY_FORM | {
        "min_age": "65",
        "max_age": "18",
        "visit_states": "MA, QZ",
        "opens": "18:00",
        "closes": "09:00",
    }
    response = client.post(_url("referral_settings:policy", practice.org), data)

    # Then the page comes back with each field's rule, what they typed, and nothing saved
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "max_age": ["The oldest age served must be at least the youngest."],
        "visit_states": ["Unknown state code(s): QZ. Use two-letter codes such as MA."],
        "closes": ["Closing time must come after opening time."],
    }
    assert 'value="MA, QZ"' in response.content.decode()
    rules = PracticePolicy.objects.get(organisation=practice.org)
    assert (rules.min_age, rules.max_age, rules.visit_states) == (18, 64, ["MA"])
    assert len(_changes(practice.org)) == before


def test_the_response_target_form_allows_what_the_model_allows_and_explains_the_articles_target(
    client, practice
):
    client.force_login(practice.admin)

    response = client.post(
        _url("referral_settings:policy", practice.org), POLICY_FORM | {"response_target_days": "6"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "response_target_days": ["Select a valid choice. 6 is not one of the available choices."]
    }
    assert "answer within 1 or 2 business days" in response.content.decode()
    assert PracticePolicy.objects.get(organisation=practice.org).response_target_days == 2


# --- Booking rules and appointment types ---------------------------------------------------

SCHEDULING_FORM = {
    "hold_minutes": "20",
    "waitlist_hold_minutes": "8",
    "confirmation_rule": "automatic",
    "cancellation_hours": "48",
    "reminder_hours": "2, 72",
    "min_notice_hours": "12",
    "video_link": "https://video.example.test/room",
}


def test_the_admin_saves_the_booking_rules(client, practice):
    client.force_login(practice.admin)
    before = len(_changes(practice.org))

    response = client.post(_url("scheduling_settings:booking", practice.org), SCHEDULING_FORM)

    assert response.status_code == 302
    rules = SchedulingSettings.objects.get(organisation=practice.org)
    assert rules.hold_minutes == 20
    assert rules.waitlist_hold_minutes == 8
    assert rules.confirmation_rule == "automatic"
    assert rules.cancellation_hours == 48
    assert rules.reminder_hours == [72, 2]
    assert rules.min_notice_hours == 12
    assert rules.video_link == "https://video.example.test/room"
    assert _changes(practice.org)[before:] == [
        (
            "update",
            "scheduling.schedulingsettings",
            {
                "changed": [
                    "hold_minutes",
                    "waitlist_hold_minutes",
                    "confirmation_rule",
                    "cancellation_hours",
                    "reminder_hours",
                    "min_notice_hours",
                    "video_link",
                ]
            },
        )
    ]


def test_bad_booking_rules_name_the_fields_and_change_nothing(client, practice):
    client.force_login(practice.admin)
    before = len(_changes(practice.org))

    response = client.post(
        _url("scheduling_settings:booking", practice.org),
        SCHEDULING_FORM
        | {"reminder_hours": "48, soon", "video_link": "http://video.example.test/room"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "reminder_hours": ["Write whole hours separated by commas, such as 48, 2."],
        "video_link": ["Use a secure link that starts with https://."],
    }
    assert 'value="48, soon"' in response.content.decode()
    rules = SchedulingSettings.objects.get(organisation=practice.org)
    assert (rules.hold_minutes, rules.reminder_hours, rules.video_link) == (15, [48, 2], "")
    assert len(_changes(practice.org)) == before


def test_a_waitlist_hold_out_of_range_names_the_field_and_changes_nothing(client, practice):
    client.force_login(practice.admin)
    before = len(_changes(practice.org))

    response = client.post(
        _url("scheduling_settings:booking", practice.org),
        SCHEDULING_FORM | {"waitlist_hold_minutes": "90"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "waitlist_hold_minutes": ["Ensure this value is less than or equal to 60."]
    }
    assert "Waitlist offer hold (minutes)" in response.content.decode()
    rules = SchedulingSettings.objects.get(organisation=practice.org)
    assert (rules.hold_minutes, rules.waitlist_hold_minutes) == (15, 10)
    assert len(_changes(practice.org)) == before


TYPE_FORM = {
    "name": "Medication check",
    "code": "med-check",
    "duration_minutes": "20",
    "buffer_minutes": "10",
}


def test_the_admin_adds_edits_and_stops_offering_an_appointment_type(client, practice):
    client.force_login(practice.admin)

    # When the admin adds a type
    response = client.post(_url("scheduling_settings:type_add", practice.org), TYPE_FORM)
    assert response.status_code == 302
    kind = AppointmentType.objects.get(organisation=practice.org, code="med-check")
    assert (kind.name, kind.duration_minutes, kind.buffer_minutes, kind.is_new_client) == (
        "Medication check",
        20,
        10,
        False,
    )

    # and lengthens it
    response = client.post(
        reverse("scheduling_settings:type", args=[kind.public_id]),
        TYPE_FORM | {"duration_minutes": "30"},
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.duration_minutes == 30

    # and stops offering the new-client type
    response = client.post(
        reverse("scheduling_settings:type_active", args=[practice.new_eval.public_id]),
        {"active": "0"},
    )
    assert response.status_code == 302

    # Then the bot no longer offers it, and each change was audited by field name
    practice.new_eval.refresh_from_db()
    assert practice.new_eval.is_active is False
    assert agenda.new_client_type(practice.org) == practice.follow_up
    assert [row[0::2] for row in _changes(practice.org)[-3:]] == [
        (
            "create",
            {"changed": ["name", "code", "duration_minutes", "buffer_minutes", "is_new_client"]},
        ),
        ("update", {"changed": ["duration_minutes"]}),
        ("update", {"changed": ["is_active"]}),
    ]


def test_a_too_short_visit_or_a_code_in_use_is_refused_by_field(client, practice):
    client.force_login(practice.admin)

    short = client.post(
        _url("scheduling_settings:type_add", practice.org), TYPE_FORM | {"duration_minutes": "10"}
    )
    taken = client.post(
        _url("scheduling_settings:type_add", practice.org), TYPE_FORM | {"code": "new"}
    )

    assert short.status_code == 400
    assert short.context["type_form"].errors == {
        "duration_minutes": ["A visit lasts at least 15 minutes."]
    }
    assert taken.status_code == 400
    assert taken.context["type_form"].errors == {
        "code": ["Another appointment type of this practice already uses that code."]
    }
    assert AppointmentType.objects.filter(organisation=practice.org).count() == 2


# --- Weekly hours and time off --------------------------------------------------------------


def _hours_form(practice, **data):
    return {
        "prescriber": str(practice.prescriber.public_id),
        "weekday": "2",
        "starts": "13:00",
        "ends": "15:00",
    } | data


def _afternoon(practice, day, now):
    offered = selectors.slots(practice.org, practice.follow_up, days=(day, day), now=now)
    return [s.starts_at for s in offered if s.starts_at.astimezone(practice.org.zone).hour >= 12]


def test_an_afternoon_block_added_by_the_admin_is_offered_to_clients(client, practice):
    # Given a prescriber who works 9:00-12:00 only, so no afternoon slot is offered
    wednesday = dt.date(2031, 3, 5)
    now = at(2031, 3, 3, 8)
    assert _afternoon(practice, wednesday, now) == []
    client.force_login(practice.admin)

    # When the admin adds Wednesday 13:00-15:00
    response = client.post(
        _url("scheduling_settings:hours_add", practice.org), _hours_form(practice)
    )

    # Then a client is offered Wednesday afternoon's slots, every 30 minutes inside the block
    assert response.status_code == 302
    assert _afternoon(practice, wednesday, now) == [
        at(2031, 3, 5, 13),
        at(2031, 3, 5, 13, 30),
        at(2031, 3, 5, 14),
        at(2031, 3, 5, 14, 30),
    ]

    # And when the admin removes the block again, those slots go
    block = WeeklyHours.objects.get(organisation=practice.org, starts=dt.time(13))
    response = client.post(reverse("scheduling_settings:hours_remove", args=[block.public_id]))
    assert response.status_code == 302
    assert _afternoon(practice, wednesday, now) == []
    assert [row[0] for row in _changes(practice.org)[-2:]] == ["create", "delete"]


def test_overlapping_or_backwards_hours_are_refused_and_nothing_is_added(client, practice):
    client.force_login(practice.admin)
    before = WeeklyHours.objects.count()

    overlap = client.post(
        _url("scheduling_settings:hours_add", practice.org),
        _hours_form(practice, weekday="0", starts="11:00", ends="13:00"),
    )
    backwards = client.post(
        _url("scheduling_settings:hours_add", practice.org),
        _hours_form(practice, starts="12:00", ends="10:00"),
    )

    assert overlap.status_code == 400
    assert overlap.context["hours_form"].errors == {
        "starts": [
            "This overlaps the block 09:00-12:00 on the same day; change or remove that block first."
        ]
    }
    assert backwards.status_code == 400
    assert backwards.context["hours_form"].errors == {
        "ends": ["The block must end after it starts."]
    }
    assert WeeklyHours.objects.count() == before


def test_time_off_over_a_booked_visit_keeps_it_and_says_so(client, practice):
    # Given a confirmed visit of the prescriber
    from tandem.scheduling import actions as scheduling_actions

    first = selectors.slots(practice.org, practice.follow_up, weeks=3)[0]
    visit = scheduling_actions.book_for_client(
        actor=practice.coordinator,
        organisation=practice.org,
        prescriber=practice.prescriber,
        appointment_type=practice.follow_up,
        starts_at=first.starts_at,
        client=practice.client,
    )
    client.force_login(practice.admin)
    local = first.starts_at.astimezone(practice.org.zone)

    # When the admin adds time off over it
    response = client.post(
        _url("scheduling_settings:time_off", practice.org),
        {
            "off-prescriber": str(practice.prescriber.public_id),
            "off-starts_at": local.strftime("%Y-%m-%dT00:00"),
            "off-ends_at": local.strftime("%Y-%m-%dT23:59"),
            "off-reason": "Conference",
        },
        follow=True,
    )

    # Then the time off is added, the visit is kept, and the admin is told
    visit.refresh_from_db()
    assert visit.status == "confirmed"
    assert practice.prescriber.time_off.count() == 1
    assert [str(m) for m in response.context["messages"]] == [
        "Time off added. It overlaps 1 booked appointment(s): they are kept and flagged on the "
        "calendar for a coordinator to move."
    ]


def _time_off(client, practice, starts, ends):
    return client.post(
        _url("scheduling_settings:time_off", practice.org),
        {
            "off-prescriber": str(practice.prescriber.public_id),
            "off-starts_at": starts,
            "off-ends_at": ends,
            "off-reason": "Conference",
        },
    )


def test_time_off_at_a_time_the_clocks_skip_or_repeat_is_refused_in_plain_words(client, practice):
    client.force_login(practice.admin)

    # When the admin's time off starts in the hour New York skips in March
    skipped = _time_off(client, practice, "2026-03-08T02:30", "2026-03-08T09:00")
    # or ends in the hour it repeats in November
    repeated = _time_off(client, practice, "2026-10-31T18:00", "2026-11-01T01:30")

    # Then each is refused, naming the field and why, and nothing is added
    assert skipped.status_code == 400
    assert skipped.context["time_off_form"].errors == {
        "starts_at": [
            "From: 2:30 AM on Mar 8, 2026 does not exist — the clocks go forward that night. "
            "Choose a time after the change."
        ]
    }
    assert repeated.status_code == 400
    assert repeated.context["time_off_form"].errors == {
        "ends_at": [
            "Until: 1:30 AM on Nov 1, 2026 happens twice — the clocks go back that night. "
            "Choose a time outside that hour."
        ]
    }
    assert practice.prescriber.time_off.count() == 0


def test_time_off_is_read_in_the_practices_time_zone_not_the_viewers(client, practice):
    # Given a practice in Honolulu (no daylight saving) and an admin whose browser is elsewhere
    from zoneinfo import ZoneInfo

    practice.org.time_zone = "Pacific/Honolulu"
    practice.org.save(update_fields=["time_zone"])
    client.force_login(practice.admin)

    # When the admin adds time off from 2:30 on the night New York skips that hour
    response = _time_off(client, practice, "2026-03-08T02:30", "2026-03-08T09:00")

    # Then it is 2:30 in Honolulu
    assert response.status_code == 302
    (off,) = practice.prescriber.time_off.all()
    honolulu = ZoneInfo("Pacific/Honolulu")
    assert off.starts_at == dt.datetime(2026, 3, 8, 2, 30, tzinfo=honolulu)
    assert off.ends_at == dt.datetime(2026, 3, 8, 9, 0, tzinfo=honolulu)


# --- Consent ----------------------------------------------------------------------------------


def test_turning_the_treatment_exception_on_needs_the_confirmation_box(client, practice):
    client.force_login(practice.admin)
    url = _url("organisations:settings_consent", practice.org)
    before = len(_changes(practice.org))

    # When the admin ticks the setting but not the confirmation
    refused = client.post(url, {"enabled": "on"})

    # Then nothing changes and the confirmation field says why
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "confirm": [
            "Tick the box to confirm that your privacy policy relies on the treatment exception."
        ]
    }
    practice.org.refresh_from_db()
    assert practice.org.treatment_disclosures_without_release is False
    assert len(_changes(practice.org)) == before

    # When they confirm, it is on and audited like granting a permission; off again likewise
    assert client.post(url, {"enabled": "on", "confirm": "on"}).status_code == 302
    practice.org.refresh_from_db()
    assert practice.org.treatment_disclosures_without_release is True
    assert client.post(url, {}).status_code == 302
    practice.org.refresh_from_db()
    assert practice.org.treatment_disclosures_without_release is False
    assert _changes(practice.org)[before:] == [
        (
            "permission_granted",
            "organisations.organisation",
            {"setting": "treatment_disclosures_without_release", "enabled": True},
        ),
        (
            "permission_revoked",
            "organisations.organisation",
            {"setting": "treatment_disclosures_without_release", "enabled": False},
        ),
    ]


def test_the_consent_page_explains_the_setting(client, practice):
    client.force_login(practice.admin)

    body = client.get(_url("organisations:settings_consent", practice.org)).content.decode()

    assert "45 CFR 164.506" in body
    assert "Never applies to psychotherapy notes or 42 CFR Part 2 records." in body
    assert "off by default" in body


# --- Time zone and holidays ---------------------------------------------------------------------


def test_the_admin_sets_the_time_zone_holidays_and_telehealth_states(client, practice):
    client.force_login(practice.admin)

    response = client.post(
        _url("organisations:settings_locale", practice.org),
        {
            "time_zone": "America/Chicago",
            "holiday_subdivision": "il",
            "telehealth_states": "IL, WI",
        },
    )

    assert response.status_code == 302
    org = Organisation.objects.get(pk=practice.org.pk)
    assert (org.time_zone, org.holiday_subdivision, org.telehealth_states) == (
        "America/Chicago",
        "IL",
        ["IL", "WI"],
    )
    assert _changes(practice.org)[-1] == (
        "update",
        "organisations.organisation",
        {"changed": ["time_zone", "holiday_subdivision", "telehealth_states"]},
    )


def test_an_unknown_time_zone_or_holiday_calendar_is_refused_by_field(client, practice):
    client.force_login(practice.admin)

    response = client.post(
        _url("organisations:settings_locale", practice.org),
        {"time_zone": "Mars/Olympus", "holiday_subdivision": "QZ", "telehealth_states": "MA"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "time_zone": [
            "Mars/Olympus is not a known time zone; use an IANA name such as America/New_York."
        ],
        "holiday_subdivision": [
            "QZ is not a US state or territory with a holiday calendar; use a two-letter code "
            "such as MA."
        ],
    }
    org = Organisation.objects.get(pk=practice.org.pk)
    assert (org.time_zone, org.holiday_subdivision) == ("America/New_York", "MA")


# --- Who gets in ----------------------------------------------------------------------------------


def _state(practice):
    org = Organisation.objects.get(pk=practice.org.pk)
    rules = PracticePolicy.objects.get(organisation=practice.org)
    return (
        org.time_zone,
        org.treatment_disclosures_without_release,
        rules.min_age,
        SchedulingSettings.objects.get(organisation=practice.org).hold_minutes,
        sorted(AppointmentType.objects.values_list("code", "is_active")),
        WeeklyHours.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.VIEW).count(),
    )


def _attempts(practice):
    block = WeeklyHours.objects.filter(organisation=practice.org).first()
    return [
        ("get", _url("organisations:settings", practice.org), {}),
        ("post", _url("referral_settings:policy", practice.org), POLICY_FORM),
        ("post", _url("scheduling_settings:booking", practice.org), SCHEDULING_FORM),
        ("post", _url("scheduling_settings:type_add", practice.org), TYPE_FORM),
        (
            "post",
            reverse("scheduling_settings:type_active", args=[practice.new_eval.public_id]),
            {"active": "0"},
        ),
        ("post", _url("scheduling_settings:hours_add", practice.org), _hours_form(practice)),
        ("post", reverse("scheduling_settings:hours_remove", args=[block.public_id]), {}),
        (
            "post",
            _url("organisations:settings_consent", practice.org),
            {"enabled": "on", "confirm": "on"},
        ),
        (
            "post",
            _url("organisations:settings_locale", practice.org),
            {"time_zone": "America/Chicago"},
        ),
    ]


@pytest.mark.parametrize("who", ["coordinator", "prescriber", "admin of another practice"])
def test_anyone_but_the_practices_admin_gets_404_and_changes_nothing(client, practice, who):
    # Given a signed-in user with MFA who does not manage this practice
    user = {
        "coordinator": practice.coordinator,
        "prescriber": practice.prescriber,
        "admin of another practice": make_staff(Role.PRACTICE_ADMIN),
    }[who]
    client.force_login(user)
    before = _state(practice)

    # When they try every settings page and form
    statuses = [
        getattr(client, method)(url, data).status_code for method, url, data in _attempts(practice)
    ]

    # Then each answers 404 and nothing changed
    assert statuses == [404] * 9
    assert _state(practice) == before


def test_an_admin_without_a_second_factor_is_sent_to_set_one_up_and_changes_nothing(
    client, practice
):
    # Given an admin of the practice without MFA
    admin = make_staff(Role.PRACTICE_ADMIN, practice.org, mfa=False)
    client.force_login(admin)
    before = _state(practice)

    # When they try every settings page and form
    responses = [getattr(client, method)(url, data) for method, url, data in _attempts(practice)]

    # Then each sends them to set up two-factor sign-in, nothing changed, and the door itself
    # refuses them as if the practice did not exist
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, "/accounts/2fa/totp/activate/?required=1")
    }
    assert _state(practice) == before
    with pytest.raises(Http404):
        organisation_for(admin, practice.org.public_id, Action.MANAGE)


# --- The main page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra_types", [0, 10])
def test_the_settings_page_summarises_each_part_in_a_fixed_number_of_queries(
    client, practice, django_assert_num_queries, extra_types
):
    # Given a practice with 2 or 12 appointment types
    for n in range(extra_types):
        AppointmentType.objects.create(
            organisation=practice.org, code=f"t{n}", name=f"Type {n}", duration_minutes=30
        )
    client.force_login(practice.admin)
    url = _url("organisations:settings", practice.org)
    client.get(url)  # warm the session

    # When the admin opens the settings page, it costs the same number of queries: the session,
    # the user (with their second factor and the menu's client check: tandem.accounts.backends;
    # those were two queries more, 15), their memberships, the practice, its policy, its booking
    # rules, the count of hours blocks, the types, the directory profile,
    # the last roster import and the on-call rota's card (who is on call now: the shifts, else
    # the prescribers marked on call; the coming week's shifts for gaps) (no session write)
    with django_assert_num_queries(13):
        response = client.get(url)

    # Then it summarises each part
    body = response.content.decode()
    assert response.status_code == 200
    assert "Follow-up (30 min); New evaluation (60 min)" in body
    assert "(5 weekly blocks)" in body
    assert "off — every disclosure needs a release" in body


def test_the_admins_dashboard_and_practice_page_link_to_the_settings(client, practice):
    client.force_login(practice.admin)
    link = f'href="{_url("organisations:settings", practice.org)}"'

    assert link in client.get(reverse("core:dashboard")).content.decode()
    assert link in client.get(_url("organisations:detail", practice.org)).content.decode()


@pytest.mark.parametrize(
    "page",
    [
        "organisations:settings",
        "referral_settings:policy",
        "scheduling_settings:booking",
        "scheduling_settings:hours",
        "organisations:settings_consent",
        "organisations:settings_locale",
    ],
)
def test_each_settings_page_has_unique_element_ids(client, practice, page):
    import re

    client.force_login(practice.admin)

    body = client.get(_url(page, practice.org)).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', body)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
