"""Canary PHI sent through every referral path never shows in a log line, an email or a link.

The client's names, email and phone and every free-text part of the packet are
distinctive invented strings. The referral then goes everywhere it can go:
drafted (with a bad code), sent, read by both sides through the web pages,
acknowledged, questioned and answered, accepted, scheduled, missed, rebooked,
seen, noted and closed; another declined with a note and a redirect, another
cancelled, an urgent one, and one left unanswered until the worker's clock
marks it overdue and escalates it. Every log record (root logger and Django's
own at DEBUG), the worker's output, every email (headers included), every
in-app notification and every audit row is then searched for the canaries.
"""

import datetime as dt
import json
import logging
import re
import uuid
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.accounts.models import User
from tandem.audit.models import AuditEvent
from tandem.clients.models import Client
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import actions
from tandem.referrals.actions import StaleReferralError
from tandem.referrals.models import DeclineReason, Referral, ReferralReason
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.http import Client as WebClient
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db
BOSTON = zoneinfo.ZoneInfo("America/New_York")

FIRST, LAST = "Zqcanaryfirst", "Zqcanarylast"
EMAIL = "zqcanarymail@example.test"
PHONE = "(617) 555-0199"
CANARIES = [
    FIRST,
    LAST,
    EMAIL,
    "zqcanarymail",
    PHONE,
    "6175550199",
    "555-0199",
    "Zqcanarysymptoms",
    "Zqcanaryhistory",
    "Zqcanarymed",
    "Zqcanarydose",
    "Zqcanarysafety",
    "Zqcanarysubstance",
    "Zqcanarymedical",
    "Zqcanaryscale",
    "Zqcanarycontact",
    "Zqcanarycode",
    "Zqcanaryquestion",
    "Zqcanaryanswer",
    "Zqcanarydecline",
    "Zqcanarycancel",
    "Zqcanarystale",
    # What the codes and reasons mean is clinical too: never in a message or a log.
    "Panic disorder",
    "Generalized anxiety",
    "Severe or treatment-resistant",
    "Safety concerns",
]
PACKET: dict[str, Any] = {
    "reasons": [ReferralReason.TREATMENT_RESISTANT],
    "symptoms_tried": "Zqcanarysymptoms tried for six months",
    "diagnoses": ["F41.0", "F41.1"],
    "treatment_history": "Zqcanaryhistory of weekly therapy",
    "medications": [{"name": "Zqcanarymed", "dose": "Zqcanarydose 5 mg", "kind": "psychiatric"}],
    "safety_hospitalisation": True,
    "safety_notes": "Zqcanarysafety note",
    "substance_use": "Zqcanarysubstance use",
    "medical_history": "Zqcanarymedical history",
    "recent_scores": [{"instrument": "Zqcanaryscale", "score": "17", "date": "2027-02-20"}],
    "contact_preferences": "Zqcanarycontact preferences",
}
UUID_SEGMENT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WORD_SEGMENT = re.compile(r"^[a-z0-9_-]{1,24}$")
URL = re.compile(r"https?://\S+")


@pytest.fixture
def world() -> ReferralWorld:
    """The referral world, its client renamed to canaries (portal account included)."""
    world = ReferralWorld()
    Client.objects.filter(pk=world.client.pk).update(
        first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE
    )
    User.objects.filter(pk=world.client_user.pk).update(full_name=f"{FIRST} {LAST}")
    world.client.refresh_from_db()
    world.client_user.refresh_from_db()
    return world


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every record at DEBUG, including Django's request and server loggers."""
    for name in ("", "django", "django.request", "django.server", "django.security", "tandem"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _web(user: User) -> WebClient:
    browser = WebClient()
    browser.force_login(user)
    return browser


def _leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c.lower() in text.lower()]


def _url_problems(url: str) -> list[str]:
    """Return the path segments of a Tandem URL that are neither a random id nor a plain word."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    return [
        s for s in path.split("/") if s and not UUID_SEGMENT.match(s) and not WORD_SEGMENT.match(s)
    ]


def test_canaries_never_reach_a_log_line_an_email_a_notification_or_a_link(
    world, logs, django_capture_on_commit_callbacks
):
    worker_output: list[str] = []

    @contextmanager
    def committed() -> Iterator[None]:
        """Run the on-commit side effects (emails and clocks are queued there), then the worker.

        The worker's own tasks queue more on commit (the clock's emails, its escalation), so
        those are run too, and the worker once more to deliver them.
        """
        with django_capture_on_commit_callbacks(execute=True):
            yield
        with django_capture_on_commit_callbacks(execute=True):
            worker_output.append(run_worker())
        worker_output.append(run_worker())

    therapist, coordinator, prescriber = world.therapist, world.coordinator, world.prescriber
    with time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, tzinfo=BOSTON), tick=False):
        with committed():
            world.release(ALL_PACKET_CATEGORIES)

        # A draft, saved with a code that does not exist, then fixed and sent.
        with committed():
            loop = world.start()
            errors = actions.save_draft(
                actor=therapist, referral=loop, data={**PACKET, "diagnoses": ["Zqcanarycode"]}
            )
            assert list(errors) == ["diagnoses"]
            assert actions.save_draft(actor=therapist, referral=loop, data=PACKET) == {}
            loop = actions.send_referral(actor=therapist, referral=loop)
            actions.send_referral(actor=therapist, referral=loop)  # a double click

        # Both sides read it through the web pages; a stranger gets a 404.
        pages = {
            "therapist detail": (therapist, reverse("referrals:detail", args=[loop.public_id])),
            "tracker": (therapist, reverse("referrals:tracker")),
            "inbox": (coordinator, reverse("referrals:inbox")),
            # The practice's prescriber reads the clinical sections (not the front desk).
            "practice detail": (prescriber, reverse("referrals:detail", args=[loop.public_id])),
        }
        seen = {name: _web(user).get(url) for name, (user, url) in pages.items()}
        missing = _web(coordinator).get(reverse("referrals:detail", args=[uuid.uuid4()]))

        with committed():
            loop = actions.receive(actor=coordinator, referral=loop)
            loop = actions.request_info(
                actor=coordinator, referral=loop, question="Zqcanaryquestion about the doses?"
            )
            loop = actions.answer(
                actor=therapist, referral=loop, answer="Zqcanaryanswer: 5 mg since January"
            )
            with pytest.raises(StaleReferralError):
                actions.accept(
                    actor=coordinator,
                    referral=loop,
                    expected_version=loop.version - 1,
                    note="Zqcanarystale",
                )
            with pytest.raises(ValidationError):
                actions.decline(actor=coordinator, referral=loop, decline_reason="", note="x")
            loop = actions.accept(actor=coordinator, referral=loop, assigned_prescriber=prescriber)
            for named_move, actor in (
                (actions.schedule, coordinator),
                (actions.no_show, coordinator),
                (actions.schedule, coordinator),
                (actions.first_visit_done, prescriber),
                (actions.consult_note_sent, prescriber),
                (actions.close, coordinator),
            ):
                loop = named_move(actor=actor, referral=loop)

        # Declined with a note and a redirect, then closed by the therapist; another cancelled.
        with committed():
            declined = world.sent(**PACKET)
            declined = actions.decline(
                actor=coordinator,
                referral=declined,
                decline_reason=DeclineReason.OTHER,
                note="Zqcanarydecline: we cannot see this client",
                redirect_to=world.elsewhere,
            )
            actions.close(actor=therapist, referral=declined)
            cancelled = world.sent(**PACKET)
            actions.cancel(actor=therapist, referral=cancelled, note="Zqcanarycancel")
            urgent = world.sent(
                **PACKET | {"reasons": [ReferralReason.SAFETY], "safety_ideation": True}
            )
        seen["urgent detail"] = _web(prescriber).get(
            reverse("referrals:detail", args=[urgent.public_id])
        )

    # Left unanswered from Tuesday morning: overdue at Wednesday's close, escalated Thursday.
    with (
        time_machine.travel(dt.datetime(2027, 3, 2, 9, 30, tzinfo=BOSTON), tick=False),
        committed(),
    ):
        late = world.sent(**PACKET)
    for moment in (dt.datetime(2027, 3, 3, 17, 1), dt.datetime(2027, 3, 4, 17, 1)):
        with time_machine.travel(moment.replace(tzinfo=BOSTON), tick=False), committed():
            pass  # only the worker, at the moment the clock falls due

    # The paths really ran, and the pages really held the canaries (to those allowed).
    assert Referral.objects.get(pk=late.pk).overdue_level == 2
    assert Referral.objects.get(pk=urgent.pk).urgent
    assert set(Referral.objects.values_list("status", flat=True)) == {
        S.CLOSED,
        S.CANCELLED,
        S.SENT,
    }
    assert {name: r.status_code for name, r in seen.items()} == dict.fromkeys(seen, 200)
    assert missing.status_code == 404
    for name in ("therapist detail", "practice detail"):
        assert "Zqcanarymed" in seen[name].content.decode(), name
    assert FIRST in seen["inbox"].content.decode()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {
        NotificationKind.REFERRAL_UPDATE,
        NotificationKind.REFERRAL_URGENT,
        NotificationKind.REFERRAL_OVERDUE,
        NotificationKind.RELEASE_TO_SIGN,
        NotificationKind.RELEASE_SIGNED,
    } <= kinds
    assert not Notification.objects.filter(emailed_at=None).exists()
    assert len(mail.outbox) == Notification.objects.count()
    assert any("GET /referrals/" in r.getMessage() for r in logs.records)
    assert any(r.name == "django.request" for r in logs.records)  # the 404 was logged

    # Then no canary anywhere.
    log_text = "\n".join(
        [logs.text]
        + [
            f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__.get('extra', '')}"
            for r in logs.records
        ]
    )
    assert _leaks(log_text) == []
    assert _leaks("\n".join(worker_output)) == []
    for message in mail.outbox:
        raw = message.message().as_string()
        assert _leaks(raw) == [], message.subject
        assert _leaks(message.subject + message.body + " ".join(message.to)) == []
        urls = URL.findall(message.body)
        assert urls, "every notification email links into Tandem"
        assert [p for u in urls for p in _url_problems(u)] == []
    for notification in Notification.objects.all():
        text = " ".join(
            [notification.link, notification.dedupe_key, notification.get_kind_display()]
        )
        assert _leaks(text) == []
        assert _url_problems(notification.link) == []
    audit = [
        json.dumps([e.object_type, e.object_id, e.actor_role, e.detail])
        for e in AuditEvent.objects.all()
    ]
    assert _leaks("\n".join(audit)) == []
