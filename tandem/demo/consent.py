"""Demo releases: every client whose records the demo shares between practices has signed one.

Each release is prepared with the real action (``prepare_release``: its
validation, parties, history and audit row). Every client in care at a therapy
practice and a psychiatric practice has a two-way release between the two that
covers what the demo shows between them: the referral packet and the work as
one team after it (``CARE_CATEGORIES``: appointments, consult notes, check-ins,
messages). Each client the demo refers to a practice for the first time signed
one for the referral packet before it was sent (``sign_for_referral``, called by
the referral step). Only Jordan Ellery has a portal account, and his release is
left waiting for his signature, so the demo can show a practice's view before
and after he signs. The other clients have no portal account to sign with, so
their signature is written directly, with the same frozen text ``sign_release``
would store (``render_release_text``), as if they had signed on the practice's
tablet; one of them later revoked it in writing. Dates are moved back so the
releases look signed over recent months.

The deliberate withheld states of the demo: Jordan's referral packet until he
signs; the revoked release (Nadia Fairbanks's: nothing crosses between her
practices); and substance use, which the demo releases leave aside.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.consent.actions import PartySpec, prepare_release, render_release_text
from tandem.consent.categories import Category, Purpose
from tandem.consent.models import Release, ReleaseHistory, ReleaseStatus
from tandem.consent.tasks import remind_release_expiry
from tandem.core.tasks import enqueue_on_commit
from tandem.demo.practice import STAFF, ClientSpec, DemoWorld, client_specs
from tandem.notifications.models import Notification

#: What the demo releases cover: the referral packet, without substance use (Part 2 aside,
#: many clients decline to share it at first).
DEMO_CATEGORIES = (
    Category.DIAGNOSIS,
    Category.TREATMENT_HISTORY,
    Category.MEDICATIONS,
    Category.SAFETY,
    Category.MEDICAL_HISTORY,
    Category.QUESTIONNAIRES,
)
#: What the release of a client in care at both practices also covers: what the practices
#: share while they work as one team on the client (psychiatric appointments, consult notes,
#: progress check-ins, messages between the clinicians).
CARE_CATEGORIES = (
    *DEMO_CATEGORIES,
    Category.ATTENDANCE,
    Category.CONSULT_NOTES,
    Category.PROGRESS_UPDATES,
    Category.CLINICIAN_MESSAGES,
)
#: Positions (among the first signed releases) that expire within 30 days, and the one revoked.
EXPIRING_SOON = {1: 12, 5: 26}  # position -> days left
REVOKED = 7
_VIA = {"via": "seed_demo"}


def _practice_of(email_local: str) -> str:
    return next(s.practice for s in STAFF if s.email_local == email_local)


def in_care_specs() -> list[ClientSpec]:
    """Return the clients in care at both practices who signed a release (all but Jordan)."""
    return [s for s in client_specs() if s.psychiatric is not None and not s.portal]


def released_specs() -> list[ClientSpec]:
    """Return the clients who signed first: every other one in care, two expiring, one revoked.

    The positions in this list are those of ``EXPIRING_SOON`` and ``REVOKED``.
    """
    return in_care_specs()[::2]


def _historical(before_pk: int, at: dt.datetime) -> None:
    """Date the notifications made since ``before_pk`` at ``at``, as already emailed and read.

    Emailed, so that starting the demo worker does not send a burst of old news.
    """
    now = timezone.now()
    at = min(at, now)
    Notification.objects.filter(pk__gt=before_pk).update(
        created_at=at, emailed_at=at, read_at=min(at + dt.timedelta(hours=2), now)
    )


def _last_notification_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def seed_releases(world: DemoWorld) -> None:
    """Sign releases for the clients in care at both practices; leave Jordan Ellery's to sign."""
    clients = {c.email: c for c in world.clients}
    have_release = set(
        Release.objects.filter(client__in=world.clients).values_list("client_id", flat=True)
    )
    today = timezone.localdate()
    now = timezone.now()
    first = released_specs()
    in_care = in_care_specs()
    for spec in in_care:
        client = clients[spec.email]
        if client.pk in have_release or spec.psychiatric is None:
            continue
        # The first releases' positions; the others signed alongside them, in pairs.
        position = first.index(spec) if spec in first else None
        pair = in_care.index(spec) // 2
        if position in EXPIRING_SOON:
            expires_on = today + dt.timedelta(days=EXPIRING_SOON[position])
            signed_on = expires_on - dt.timedelta(days=365)
        else:
            expires_on = today + dt.timedelta(days=183 + 19 * pair)  # 6 to 12 months
            signed_on = today - dt.timedelta(days=20 + 9 * pair)
        signed_at = timezone.make_aware(dt.datetime.combine(signed_on, dt.time(10, 15)))
        release = _prepare(
            world, spec, client, signed_on, expires_on, _practice_of(spec.psychiatric[0])
        )
        sign_in_office(release, client, signed_at)
        if position == REVOKED:
            _revoke_in_writing(release, client, signed_at + dt.timedelta(days=12))
        _remind_or_schedule(release, today)
        world.count("releases", created=True, changed=False)

    portal = next(s for s in client_specs() if s.portal)
    client = clients[portal.email]
    if client.pk not in have_release:
        assert portal.psychiatric is not None
        release = _prepare(
            world,
            portal,
            client,
            today,
            today + dt.timedelta(days=300),
            _practice_of(portal.psychiatric[0]),
        )
        prepared_at = now - dt.timedelta(hours=20)
        Release.objects.filter(pk=release.pk).update(prepared_at=prepared_at)
        ReleaseHistory.objects.filter(release=release).update(at=prepared_at)
        Notification.objects.filter(link__contains=str(release.public_id)).update(
            created_at=prepared_at
        )
        world.count("releases", created=True, changed=False)


def sign_for_referral(
    world: DemoWorld, spec: ClientSpec, client: Client, practice: str, signed_at: dt.datetime
) -> None:
    """Have a client referred for the first time sign a release for the packet, before it goes.

    Between the therapist's practice and ``practice`` (a key of ``world.organisations``),
    for the referral and the coordination after it, covering the packet (``DEMO_CATEGORIES``);
    a year from the signature. Nothing is written when the client already has a release.
    """
    if Release.objects.filter(client=client).exists():
        return
    signed_on = timezone.localdate(signed_at)
    release = _prepare(
        world,
        spec,
        client,
        signed_on,
        signed_on + dt.timedelta(days=365),
        practice,
        categories=DEMO_CATEGORIES,
    )
    sign_in_office(release, client, signed_at)
    _remind_or_schedule(release, timezone.localdate())
    world.count("releases", created=True, changed=False)


def _prepare(
    world: DemoWorld,
    spec: ClientSpec,
    client: Client,
    effective_from: dt.date,
    expires_on: dt.date,
    practice: str,
    *,
    categories: tuple[Category, ...] = CARE_CATEGORIES,
) -> Release:
    """Prepare, as the client's therapist, a two-way release with the psychiatric ``practice``."""
    therapist = world.users[spec.therapist]
    return prepare_release(
        actor=therapist,
        client=client,
        categories=[c.value for c in categories],
        disclosers=[PartySpec(world.organisations[_practice_of(spec.therapist)])],
        recipients=[PartySpec(world.organisations[practice])],
        # Collaborative care: the referral, then the updates both share while in care.
        purpose=Purpose.REFERRAL_AND_COORDINATION,
        two_way=True,
        effective_from=effective_from,
        expires_on=expires_on,
    )


def sign_in_office(release: Release, client: Client, signed_at: dt.datetime) -> None:
    """Write the signature ``sign_release`` would, for a client without a portal account."""
    text = render_release_text(release)
    prepared_at = signed_at - dt.timedelta(days=1)
    ReleaseHistory.objects.filter(release=release).update(at=prepared_at)
    ReleaseHistory.objects.create(
        release=release,
        from_status=ReleaseStatus.DRAFT,
        to_status=ReleaseStatus.SIGNED,
        at=signed_at,
    )
    Release.objects.filter(pk=release.pk).update(
        status=ReleaseStatus.SIGNED,
        prepared_at=prepared_at,
        signed_at=signed_at,
        signed_name=f"{client.first_name} {client.last_name}",
        signed_text=text,
        signed_text_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    release.refresh_from_db()
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=release,
        client=client,
        detail={"status": "signed", **_VIA},
    )


def _revoke_in_writing(release: Release, client: Client, revoked_at: dt.datetime) -> None:
    ReleaseHistory.objects.create(
        release=release,
        from_status=ReleaseStatus.SIGNED,
        to_status=ReleaseStatus.REVOKED,
        at=revoked_at,
    )
    Release.objects.filter(pk=release.pk).update(
        status=ReleaseStatus.REVOKED, revoked_at=revoked_at
    )
    release.refresh_from_db()
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=release,
        client=client,
        detail={"status": "revoked", **_VIA},
    )


def _remind_or_schedule(release: Release, today: dt.date) -> None:
    """Send the expiry reminders already due (as the worker would have), schedule the others."""
    if release.status != ReleaseStatus.SIGNED or release.expires_on is None:
        return
    for days in (30, 7):
        due = release.expires_on - dt.timedelta(days=days)
        run_after = timezone.make_aware(dt.datetime.combine(due, dt.time(9)))
        if due <= today:
            before = _last_notification_pk()
            remind_release_expiry.call(release.pk, days)
            _historical(before, run_after)
        else:
            enqueue_on_commit(remind_release_expiry, release.pk, days, run_after=run_after)
