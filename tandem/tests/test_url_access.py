"""Every URL that takes an object id refuses everyone who has no right to the object.

The URLs come from the URL conf, so a view added later is probed without anyone
remembering to add it here; see tandem/tests/support/urlwalk.py for how.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from tandem.tests.support import buttons
from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.pages import every_page
from tandem.tests.support.url_objects import NOT_OBJECT_IDS
from tandem.tests.support.urlwalk import (
    NO_MFA_INSIDER,
    OUTSIDER_APP,
    PROBERS,
    Report,
    routes,
    skip_reason,
    walk,
)

UNPROTECTED = "tandem.tests.unprotected_urls"


@pytest.fixture(scope="class")
def real_walk(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Report]:
    """Walk the real URL conf once for the tests of its class; roll back what it built after.

    The walk opens every object's page as the user who may read it, so the checks of every
    page's HTML read those pages from its report rather than building and rendering them again.
    Each test's own transaction nests inside this one as a savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            cache.clear()  # as each test starts (conftest's _fresh_caches): no rate limits carried
            yield walk()
        finally:
            transaction.set_rollback(True)


@pytest.mark.django_db
class TestTheRealURLs:
    """The checks that read the walk of the real URL conf (one walk, its pages read twice)."""

    def test_every_object_url_refuses_each_role_without_a_right_to_it(self, real_walk: Report):
        report = real_walk

        assert report.unregistered == []
        assert [str(finding) for finding in report.findings] == []
        assert {
            "clients:detail",
            "organisations:detail",
            "organisations:invite",
            "organisations:revoke",
            "organisations:invitation",
            "organisations:invitation_revoke",
        } <= set(report.checked)

    def test_every_page_has_one_primary_action_and_asks_twice_before_destroying(
        self, real_walk: Report
    ):
        # Given every page of the URL conf as each person who may open it (the object pages as
        # the walk opened them for the user who may), and an error page
        pages = dict(real_walk.pages)
        pages |= {page.label: page.html for page in every_page(objects=False)}
        pages["404 as anonymous visitor"] = HttpClient().get("/no-such-page/").content.decode()
        assert {"account_login as anonymous visitor", "core:dashboard as coordinator"} <= set(pages)
        assert {"clients:detail", "referrals:detail", "scheduling:appointment"} <= set(pages)
        assert len(pages) > 60, sorted(pages)

        # When each page's buttons are read, then none breaks the rule (docs/design.md, Buttons)
        problems = {
            label: found for label, html in pages.items() if (found := buttons.problems(html))
        }
        assert problems == {}, "\n".join(f"{k}: {p}" for k, v in problems.items() for p in v)


def test_every_tandem_url_with_an_id_is_probed_rather_than_skipped():
    skipped = {
        route.label: skip_reason(route)
        for route in routes()
        if route.kwargs and route.module.startswith("tandem.") and skip_reason(route)
    }

    # The exceptions: the public scoring API, whose one argument names an instrument; a
    # practice's public page, its bot and its open slots (meant for everyone); and the bot's
    # invitation and its emailed confirmation link, whose random token is itself the key; the
    # FHIR Organization of a practice that takes referrals (what its public page shows); a
    # FHIR Questionnaire (an instrument's public definition).
    public_practice = NOT_OBJECT_IDS["practice_id"][0]
    assert skipped == {
        "measures_api:score": NOT_OBJECT_IDS["instrument_code"][0],
        "measures:answer": NOT_OBJECT_IDS["instrument_code"][0],
        "intake:practice": public_practice,
        "intake:start": public_practice,
        "intake:thread": public_practice,
        "intake:verify": public_practice,
        "scheduling:book": public_practice,
        "fhir:organization-read": public_practice,
        "fhir:questionnaire-read": NOT_OBJECT_IDS["questionnaire_id"][0],
        "intake:invitation": NOT_OBJECT_IDS["token"][0],
        "intake:confirm": NOT_OBJECT_IDS["token"][0],
    }


@pytest.mark.django_db
def test_the_walk_catches_exactly_the_view_that_forgets_the_policy_and_asks_for_unknown_ids(
    monkeypatch,
):
    # Given the real URLs plus a view that shows any client to anyone, a view that asks the
    # policy but leaves no audit row, a view that refuses even the practice's own admin, a
    # FHIR view that checks the token but forgets the policy, a FHIR view that refuses
    # every token, and a view taking an id nobody registered
    # (and path arguments that name no object, declared as such)
    monkeypatch.setitem(NOT_OBJECT_IDS, "tab", ("a tab of the page", "history"))
    monkeypatch.setitem(NOT_OBJECT_IDS, "section", ("a section of the site", "about"))

    # When the walk runs over them (the real URLs' own findings are the walk above's
    # business: walking them again here would prove nothing this test asserts)
    real = {route.label for route in routes()}
    report = walk(UNPROTECTED, only=lambda route: route.label not in real)

    # Then the unprotected view is reported for every probing role (staff without MFA are
    # stopped by the MFA middleware before any view runs), with what it showed
    leaks = [f for f in report.findings if f.route == "leaky_client" and f.who != "allowed user"]
    assert {(f.who, f.method) for f in leaks} == {
        (who, method) for who in PROBERS for method in ("GET", "POST")
    }
    assert NO_MFA_INSIDER not in {f.who for f in leaks}
    assert {f.problem for f in leaks} == {
        "status 200 and the page shows Qzfirstcanary, Qzlastcanary"
    }
    # and the over-protected one for refusing the user who may reach it, and nothing else
    locked = [str(f) for f in report.findings if f.route == "locked_organisation"]
    assert locked == [
        "locked_organisation: allowed user GET/POST → the allowed user got status 404 on GET"
    ]
    # and the unaudited one for the read that left no trace, and nothing else
    unaudited = [str(f) for f in report.findings if f.route == "unaudited_client"]
    assert unaudited == [
        "unaudited_client: allowed user GET/POST → "
        "the allowed user read the object and no audit event was written"
    ]
    # and the FHIR view without the policy for every token of a practice (a system client of
    # each prober's practice, the insider's too, and an outsider's app) but not for callers
    # without a token (401), and for the allowed user's unaudited read
    fhir_leaks = [f for f in report.findings if f.route == "leaky_patient"]
    with_token = [*PROBERS[:4], NO_MFA_INSIDER, OUTSIDER_APP]
    assert sorted((f.who, f.method, f.problem) for f in fhir_leaks) == sorted(
        [
            (who, "GET", "status 200 and the page shows Qzfirstcanary, Qzlastcanary")
            for who in with_token
        ]
        + [
            (
                "allowed user",
                "GET",
                "the allowed user's system client read the object and no audit event was written",
            )
        ]
    )
    # and the FHIR view that refuses the practice's own system client
    assert [str(f) for f in report.findings if f.route == "locked_fhir_organization"] == [
        "locked_fhir_organization: allowed user GET → "
        "the allowed user's system client got status 404 on GET"
    ]
    assert report.leaking_routes == {
        "leaky_client",
        "locked_organisation",
        "unaudited_client",
        "leaky_patient",
        "locked_fhir_organization",
    }
    # and the unknown id fails the walk with instructions
    mine = [problem for problem in report.unregistered if problem.startswith("mystery ")]
    assert mine == [
        "mystery (mystery/<uuid:mystery_id>/) takes <mystery_id>, which the URL walk does not "
        "know: register a factory for 'mystery_id' in tandem/tests/support/url_objects.py that "
        "builds the object in a practice the probing users do not belong to"
    ]
    assert "mystery" not in report.checked
    # and a URL whose only argument names no object is skipped, saying why
    assert report.skipped["section"] == "a section of the site"


def _page(body: str) -> str:
    return f"<html><body><header><a class='button' href='/'>Home</a></header><main>{body}</main>"


def test_the_button_check_finds_exactly_the_broken_rule():
    # A page with one primary and outlined others, and a destructive move asked twice: fine
    confirm = (
        '<details class="confirm"><summary class="button button-danger">Cancel appointment…'
        '</summary><form method="post"><button type="submit" class="button '
        'button-danger-confirm">Yes, cancel the appointment</button></form></details>'
    )
    good = (
        '<form method="post"><input name="line"><button type="submit">Save</button>'
        '<button type="submit" class="button button-secondary">Save draft</button>'
        '<button type="submit" name="remove_line" class="link-button">Remove line 2</button>'
        "</form><ul><li><a class='button button-secondary' href='/x'>Open</a></li></ul>"
        '<p class="visually-hidden"><button type="submit">Hidden</button></p>'
    )
    assert buttons.problems(_page(good + confirm)) == []
    # a confirmation page: its one action is the destructive answer
    page = '<form method="post"><button class="button button-danger">Deactivate</button></form>'
    assert buttons.problems(_page(page)) == []
    # a dialog is its own surface
    dialog = '<dialog id="d"><button type="button" class="button">Stay</button></dialog>'
    assert buttons.problems(_page("<a class='button' href='/'>Go</a>" + dialog)) == []

    # Two filled actions
    two = _page('<a class="button" href="/a">Book</a><form method="post"><button>Move</button>')
    assert buttons.problems(two) == ["main: 2 primary actions ('Book', 'Move'); keep one"]
    # a filled action per row
    rows = _page("<table><tr><td><a class='button' href='/a'>Open</a></td></tr></table>")
    assert buttons.problems(rows) == [
        "main: 'Open' is repeated per row and filled: make it button-secondary"
    ]
    # a destructive action filled, acting at once
    red = _page(
        '<form method="post"><button type="submit">Decline</button>'
        '<button type="submit" class="button button-secondary">Accept</button></form>'
    )
    assert buttons.problems(red) == [
        "main: 'Decline' is destructive and filled: make it button-danger, asked twice",
        "main: 'Decline' is destructive and acts on the first click: put it in a "
        '<details class="confirm"> as a button-danger-confirm, or on a confirmation page',
    ]
    # an outlined row "Revoke" that acts on the first click, beside the page's own form
    revoke = _page(
        '<ul><li><form method="post"><button class="link-button">Revoke</button></form></li></ul>'
        '<form method="post"><button type="submit">Send invitation</button></form>'
    )
    assert buttons.problems(revoke) == [
        "main: 'Revoke' is destructive and acts on the first click: put it in a "
        '<details class="confirm"> as a button-danger-confirm, or on a confirmation page'
    ]
    # and a variant without its base class
    bare = _page('<form method="post"><button class="button-secondary">Show</button></form>')
    assert buttons.problems(bare) == [
        "main: 'Show' has button-secondary without button: spell it 'button button-secondary'"
    ]


def _problems_on(user: Any, url: str) -> list[str]:
    http = HttpClient()
    http.force_login(user)
    response = http.get(url)
    assert response.status_code == 200, url
    return buttons.problems(response.content.decode())


@pytest.mark.django_db
def test_the_referral_pages_keep_one_primary_action_in_every_state_on_both_sides():
    # Given referrals in each state a therapist and a practice act on (the walk sees one)
    from tandem.referrals import actions
    from tandem.referrals.tests.factories import ReferralWorld

    world = ReferralWorld()
    world.release(["diagnosis", "treatment_history", "medications"])
    received = actions.receive(actor=world.coordinator, referral=world.sent())
    asked = actions.request_info(
        actor=world.coordinator,
        referral=actions.receive(actor=world.coordinator, referral=world.sent()),
        question="Any prior SSRIs?",
    )
    states = {
        "draft": world.drafted(),
        "sent": world.sent(),
        "received": received,
        "info_requested": asked,
        "accepted": world.accepted(),
    }
    readers = {"therapist": world.therapist, "coordinator": world.coordinator}

    # When each side opens each one, and the lists that gather them
    problems = {
        f"{state} as {who}": found
        for state, referral in states.items()
        for who, user in readers.items()
        if not (state == "draft" and who == "coordinator")  # a draft is the therapist's alone
        if (found := _problems_on(user, reverse("referrals:detail", args=[referral.public_id])))
    }
    problems |= {
        name: found
        for name, user, url in [
            ("tracker", world.therapist, reverse("referrals:tracker")),
            ("inbox", world.coordinator, reverse("referrals:inbox")),
        ]
        if (found := _problems_on(user, url))
    }

    # Then every page keeps the rule
    assert problems == {}


@pytest.mark.django_db
def test_the_appointment_pages_keep_one_primary_action_in_every_state():
    # Given three clients' appointments: held, waiting for confirmation, confirmed (and past)
    from tandem.core.tests.factories import ClientFactory, UserFactory
    from tandem.scheduling import actions, selectors
    from tandem.scheduling.payments import OfflineProvider
    from tandem.scheduling.tests.factories import Practice, at

    with time_machine.travel(at(2027, 4, 12, 9), tick=False):
        practice: Any = Practice()

        def book(*, pay: bool) -> Any:
            user = UserFactory()
            first_open = selectors.slots(practice.org, practice.new_eval, weeks=3)[0]
            held = actions.hold_slot(
                actor=user,
                organisation=practice.org,
                prescriber=practice.prescriber,
                appointment_type=practice.new_eval,
                starts_at=first_open.starts_at,
                client=ClientFactory(user=user),
            )
            if not pay:
                return held
            return actions.put_payment_on_file(
                actor=user, appointment=held, provider=OfflineProvider(), token="agree"
            )

        confirmed = actions.confirm(actor=practice.coordinator, appointment=book(pay=True))
        states = {"confirmed": confirmed, "pending": book(pay=True), "held": book(pay=False)}
        pages = {
            "calendar": (
                practice.coordinator,
                reverse("scheduling:calendar", args=[practice.org.public_id]),
            )
        }
        for name, appointment in states.items():
            url = reverse("scheduling:appointment", args=[appointment.public_id])
            pages[f"{name} as client"] = (appointment.client.user, url)
            pages[f"{name} as coordinator"] = (practice.coordinator, url)

        # When each is opened, and the calendar with its request to confirm
        problems = {
            name: found for name, (user, url) in pages.items() if (found := _problems_on(user, url))
        }
    with time_machine.travel(confirmed.starts_at + dt.timedelta(hours=3), tick=False):
        url = reverse("scheduling:appointment", args=[confirmed.public_id])
        if found := _problems_on(practice.coordinator, url):
            problems["past as coordinator"] = found

    # Then every page keeps the rule
    assert problems == {}
