"""Demo releases: about half the clients who see a prescriber have signed one.

Each release is prepared with the real action (``prepare_release``: its
validation, parties, history and audit row). Only Jordan Ellery has a portal
account, and his release is left waiting for his signature, so the demo can
show a practice's view before and after he signs. The other clients have no
portal account to sign with, so their signature is written directly, with the
same frozen text ``sign_release`` would store (``render_release_text``), as if
they had signed on the practice's tablet; one of them later revoked it in
writing. Dates are moved back so the releases look signed over recent months.
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
#: Positions (among the signed releases) that expire within 30 days, and the one revoked.
EXPIRING_SOON = {1: 12, 5: 26}  # position -> days left
REVOKED = 7
_VIA = {"via": "seed_demo"}


def _practice_of(email_local: str) -> str:
    return next(s.practice for s in STAFF if s.email_local == email_local)


def released_specs() -> list[ClientSpec]:
    """Return the clients with a signed demo release: every other client who sees a prescriber."""
    with_prescriber = [s for s in client_specs() if s.psychiatric is not None and not s.portal]
    return with_prescriber[::2]


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
    """Sign releases for about half the prescriber clients; leave Jordan Ellery's to sign."""
    clients = {c.email: c for c in world.clients}
    have_release = set(
        Release.objects.filter(client__in=world.clients).values_list("client_id", flat=True)
    )
    today = timezone.localdate()
    now = timezone.now()
    for position, spec in enumerate(released_specs()):
        client = clients[spec.email]
        if client.pk in have_release or spec.psychiatric is None:
            continue
        if position in EXPIRING_SOON:
            expires_on = today + dt.timedelta(days=EXPIRING_SOON[position])
            signed_on = expires_on - dt.timedelta(days=365)
        else:
            expires_on = today + dt.timedelta(days=183 + 19 * position)  # 6 to 12 months
            signed_on = today - dt.timedelta(days=20 + 9 * position)
        signed_at = timezone.make_aware(dt.datetime.combine(signed_on, dt.time(10, 15)))
        release = _prepare(world, spec, client, position, signed_on, expires_on)
        sign_in_office(release, client, signed_at)
        if position == REVOKED:
            _revoke_in_writing(release, client, signed_at + dt.timedelta(days=12))
        _remind_or_schedule(release, today)
        world.count("releases", created=True, changed=False)

    portal = next(s for s in client_specs() if s.portal)
    client = clients[portal.email]
    if client.pk not in have_release:
        release = _prepare(
            world, portal, client, 0, today, today + dt.timedelta(days=300), notify_client=True
        )
        prepared_at = now - dt.timedelta(hours=20)
        Release.objects.filter(pk=release.pk).update(prepared_at=prepared_at)
        ReleaseHistory.objects.filter(release=release).update(at=prepared_at)
        Notification.objects.filter(link__contains=str(release.public_id)).update(
            created_at=prepared_at
        )
        world.count("releases", created=True, changed=False)


def _prepare(
    world: DemoWorld,
    spec: ClientSpec,
    client: Client,
    position: int,
    effective_from: dt.date,
    expires_on: dt.date,
    *,
    notify_client: bool = False,
) -> Release:
    assert spec.psychiatric is not None
    therapist = world.users[spec.therapist]
    psychiatric = world.organisations[_practice_of(spec.psychiatric[0])]
    return prepare_release(
        actor=therapist,
        client=client,
        categories=[c.value for c in DEMO_CATEGORIES],
        disclosers=[PartySpec(world.organisations[_practice_of(spec.therapist)])],
        recipients=[PartySpec(psychiatric)],
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
