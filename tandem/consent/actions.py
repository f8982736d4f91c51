"""Writes of the consent engine: prepare, sign, attest, revoke, disclose.

Each is atomic, writes a history row for status changes and an audit row, and
sends its notifications only after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import signals, states
from tandem.consent.categories import (
    GENERAL_CATEGORIES,
    PART2_NOTICE,
    Category,
    LegalBasis,
    Purpose,
)
from tandem.consent.decision import ConsentContext, Decision, Party, Reason, decide
from tandem.consent.formtexts import current_form_text
from tandem.consent.models import (
    Disclosure,
    PartyRole,
    Release,
    ReleaseHistory,
    ReleaseKind,
    ReleaseParty,
    ReleaseStatus,
)
from tandem.consent.uploads import check_pdf
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import CARE_TEAM_ROLES
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Organisation

ADULT_AGE = 18


@dataclass(frozen=True)
class PartySpec:
    """A party to name on a release: an organisation, optionally one clinician in it."""

    organisation: Organisation
    user: User | None = None


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _lock_client(client_id: int) -> None:
    """Lock the client's row: the first lock of every consent write (see ``_lock_release``)."""
    Client.objects.select_for_update().filter(pk=client_id).first()


def _lock_release(release_id: int) -> Release:
    """Lock the release's client row, then the release row, and return the release.

    The one lock order of the consent engine is: the client row first, then that
    client's release rows in primary-key order. ``disclose`` follows it too, so a
    revocation (or signature, attestation, withdrawal) and a disclosure queue on
    the client row instead of each holding what the other waits for (a deadlock
    PostgreSQL would break by failing one of them). Never lock a release with
    ``select_related("client")`` and a bare ``select_for_update()``: that locks the
    release row and the client row in one statement, release first.
    """
    client_id = Release.objects.values_list("client_id", flat=True).get(pk=release_id)
    _lock_client(client_id)
    return (
        Release.objects.select_for_update(of=("self",)).select_related("client").get(pk=release_id)
    )


def _validate_release(
    *,
    kind: str,
    categories: list[str],
    disclosers: list[PartySpec],
    recipients: list[PartySpec],
    purpose: str,
    effective_from: dt.date,
    expires_on: dt.date | None,
    expiry_event: str,
) -> None:
    errors: dict[str, list[str]] = {}
    known = {c.value for c in Category}
    unknown = [c for c in categories if c not in known]
    if unknown:
        errors.setdefault("categories", []).append(
            f"Unknown category: {', '.join(unknown)}. Choose from the listed kinds of information."
        )
    if not categories:
        errors.setdefault("categories", []).append("Choose at least one kind of information.")
    if kind == ReleaseKind.GENERAL and set(categories) - GENERAL_CATEGORIES - set(unknown):
        errors.setdefault("categories", []).append(
            "Psychotherapy notes and Part 2 substance use records each need a release of their own."
        )
    if kind == ReleaseKind.PSYCHOTHERAPY_NOTES and set(categories) != {
        Category.PSYCHOTHERAPY_NOTES
    }:
        errors.setdefault("categories", []).append(
            "An authorization for psychotherapy notes covers psychotherapy notes only."
        )
    if kind == ReleaseKind.PART2 and Category.PART2_RECORDS not in categories:
        errors.setdefault("categories", []).append(
            "A Part 2 consent must name substance use disorder records (42 CFR Part 2)."
        )
    if purpose not in Purpose.values:
        errors.setdefault("purpose", []).append("Choose the purpose of the disclosure.")
    if expires_on is None and not expiry_event:
        errors.setdefault("expires_on", []).append(
            "A release needs an end: a date, or an event such as the end of treatment."
        )
    if expires_on is not None and expires_on < effective_from:
        errors.setdefault("expires_on", []).append(
            "The end date must be on or after the start date."
        )
    if expires_on is not None and expires_on < timezone.localdate():
        errors.setdefault("expires_on", []).append("The end date is in the past.")
    if not disclosers:
        errors.setdefault("disclosers", []).append("Name who may disclose the information.")
    if not recipients:
        errors.setdefault("recipients", []).append("Name who may receive the information.")
    for field, parties in (("disclosers", disclosers), ("recipients", recipients)):
        for party in parties:
            if not party.organisation.is_active:
                errors.setdefault(field, []).append(
                    f"{party.organisation} is not active in Tandem."
                )
            if (
                party.user is not None
                and not party.user.memberships.filter(
                    organisation=party.organisation, is_active=True, role__in=CARE_TEAM_ROLES
                ).exists()
            ):
                errors.setdefault(field, []).append(
                    f"{party.user.display_name} is not an active clinician at {party.organisation}."
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def prepare_release(
    *,
    actor: User,
    client: Client,
    kind: str = ReleaseKind.GENERAL,
    categories: Iterable[str],
    disclosers: list[PartySpec],
    recipients: list[PartySpec],
    purpose: str,
    purpose_detail: str = "",
    two_way: bool = True,
    effective_from: dt.date | None = None,
    expires_on: dt.date | None = None,
    expiry_event: str = "",
) -> Release:
    """Prepare a release for the client to sign, and tell the client (without details)."""
    if not policy.allows(actor, Action.CHANGE, client):
        raise Forbidden("Only the client's therapist or prescriber may prepare a release.")
    categories = list(dict.fromkeys(categories))
    effective_from = effective_from or timezone.localdate()
    _validate_release(
        kind=kind,
        categories=categories,
        disclosers=disclosers,
        recipients=recipients,
        purpose=purpose,
        effective_from=effective_from,
        expires_on=expires_on,
        expiry_event=expiry_event,
    )
    form_text = current_form_text(kind)
    release = Release.objects.create(
        client=client,
        kind=kind,
        categories=categories,
        purpose=purpose,
        purpose_detail=purpose_detail,
        two_way=two_way,
        effective_from=effective_from,
        expires_on=expires_on,
        expiry_event=expiry_event,
        form_text=form_text,
        prepared_by=actor,
    )
    ReleaseParty.objects.bulk_create(
        [
            ReleaseParty(
                release=release, role=PartyRole.DISCLOSER, organisation=p.organisation, user=p.user
            )
            for p in disclosers
        ]
        + [
            ReleaseParty(
                release=release, role=PartyRole.RECIPIENT, organisation=p.organisation, user=p.user
            )
            for p in recipients
        ]
    )
    ReleaseHistory.objects.create(release=release, to_status=ReleaseStatus.DRAFT, actor=actor)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=release,
        client=client,
        detail={"kind": kind, "categories": categories},
    )
    if client.user is not None:
        notify(
            [client.user],
            NotificationKind.RELEASE_TO_SIGN,
            reverse("consent:sign", kwargs={"release_id": release.public_id}),
            about=client.pk,
        )
    return release


def render_release_text(release: Release) -> str:
    """Return the full text of the release as the client reads and signs it."""
    parties = list(release.parties.select_related("organisation", "user"))
    return render_to_string(
        "consent/release_text.txt",
        {
            "release": release,
            "client": release.client,
            "disclosers": [p for p in parties if p.role == PartyRole.DISCLOSER],
            "recipients": [p for p in parties if p.role == PartyRole.RECIPIENT],
            "categories": release.category_labels(),
            "part2_notice": PART2_NOTICE if release.kind == ReleaseKind.PART2 else "",
        },
    ).strip()


def _care_team_users(client: Client) -> list[User]:
    return [
        m.user
        for m in CareTeamMember.objects.filter(client=client, ended_on__isnull=True).select_related(
            "user"
        )
    ]


@transaction.atomic
def sign_release(
    *,
    actor: User,
    release: Release,
    typed_name: str,
    ip: str | None,
    shown_text_sha256: str,
    representative_name: str = "",
    representative_authority: str = "",
) -> Release:
    """Sign the release as the client (or their personal representative); freeze the text signed."""
    release = _lock_release(release.pk)
    client = release.client
    if client.user_id != actor.pk:
        raise Forbidden("Only the client can sign their release.")
    text = render_release_text(release)
    digest = hashlib.sha256(text.encode()).hexdigest()
    states.check(release.status, ReleaseStatus.SIGNED)
    errors: dict[str, list[str]] = {}
    if digest != shown_text_sha256:
        errors.setdefault("__all__", []).append(
            "The release changed while you were reading it. Read the current text and sign again."
        )
    if not typed_name.strip():
        errors.setdefault("typed_name", []).append("Type your full name to sign.")
    minor = _age_on(client.date_of_birth, timezone.localdate()) < ADULT_AGE
    if minor and not (representative_name.strip() and representative_authority.strip()):
        errors.setdefault("representative_name", []).append(
            "The client is under 18: a personal representative must sign and describe their authority."
        )
    if (representative_name.strip() == "") != (representative_authority.strip() == ""):
        errors.setdefault("representative_authority", []).append(
            "A personal representative must give both their name and their authority."
        )
    if release.expires_on is not None and release.expires_on < timezone.localdate():
        errors.setdefault("__all__", []).append(
            "This release has already expired; ask for a new one."
        )
    if errors:
        raise ValidationError(errors)
    states.move(release, ReleaseStatus.SIGNED, actor)
    release.signed_at = timezone.now()
    release.signed_name = typed_name.strip()
    release.signed_ip = ip
    release.signed_text = text
    release.signed_text_sha256 = digest
    release.signed_by_user = actor
    release.representative_name = representative_name.strip()
    release.representative_authority = representative_authority.strip()
    release.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=release,
        client=client,
        detail={"status": "signed"},
    )
    notify(
        [release.prepared_by],
        NotificationKind.RELEASE_SIGNED,
        reverse("consent:client_status", kwargs={"client_id": client.public_id}),
        about=client.pk,
    )
    _schedule_expiry_reminders(release)
    return release


@transaction.atomic
def attest_paper_release(
    *, actor: User, release: Release, upload: UploadedFile, signed_on: dt.date
) -> Release:
    """Record a release the client signed on paper: the clinician uploads the PDF and attests it."""
    release = _lock_release(release.pk)
    if not policy.allows(actor, Action.CHANGE, release.client):
        raise Forbidden("Only the client's clinicians may attest a paper release.")
    states.check(release.status, ReleaseStatus.SIGNED)
    check_pdf(upload)
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The signature date cannot be in the future."})
    states.move(release, ReleaseStatus.SIGNED, actor)
    release.is_paper = True
    release.paper_file.save(f"{release.public_id}.pdf", upload, save=False)
    release.attested_by = actor
    release.signed_at = timezone.make_aware(dt.datetime.combine(signed_on, dt.time(12)))
    release.signed_text = render_release_text(release)
    release.signed_text_sha256 = hashlib.sha256(release.signed_text.encode()).hexdigest()
    release.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=release,
        client=release.client,
        detail={"status": "signed", "paper": True},
    )
    _schedule_expiry_reminders(release)
    return release


@transaction.atomic
def revoke_release(*, actor: User, release: Release) -> Release:
    """Revoke at once: nothing not yet disclosed may go; the accounting keeps what already went."""
    release = _lock_release(release.pk)
    if release.client.user_id != actor.pk:
        raise Forbidden("Only the client can revoke their release.")
    states.check(release.status, ReleaseStatus.REVOKED)
    states.move(release, ReleaseStatus.REVOKED, actor)
    release.revoked_at = timezone.now()
    release.revoked_by = actor
    release.save(update_fields=["status", "revoked_at", "revoked_by"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=release,
        client=release.client,
        detail={"status": "revoked"},
    )
    named = [p.user for p in release.parties.select_related("user") if p.user is not None]
    notify(
        {*_care_team_users(release.client), *named, release.prepared_by},
        NotificationKind.RELEASE_REVOKED,
        reverse("consent:client_status", kwargs={"client_id": release.client.public_id}),
        about=release.client_id,
    )
    return release


@transaction.atomic
def withdraw_release(*, actor: User, release: Release) -> Release:
    """Withdraw a release that was prepared but not signed."""
    release = _lock_release(release.pk)
    if (
        not policy.allows(actor, Action.CHANGE, release.client)
        and release.client.user_id != actor.pk
    ):
        raise Forbidden("You may not withdraw this release.")
    states.move(release, ReleaseStatus.WITHDRAWN, actor)
    release.save(update_fields=["status"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=release,
        client=release.client,
        detail={"status": "withdrawn"},
    )
    return release


def _schedule_expiry_reminders(release: Release) -> None:
    """Plan the reminders 30 and 7 days before a signed release expires (those still ahead).

    Announced inside the transaction; ``tasks`` enqueues each once it commits.
    """
    if release.expires_on is None:
        return
    for days in (30, 7):
        due = release.expires_on - dt.timedelta(days=days)
        if due < timezone.localdate():
            continue
        signals.expiry_reminder_planned.send(
            sender=Release,
            release_id=release.pk,
            days_before=days,
            remind_at=timezone.make_aware(dt.datetime.combine(due, dt.time(9))),
        )


@transaction.atomic
def disclose(
    *,
    actor: User | None,
    client: Client,
    category: str,
    source: Party,
    recipient: Party,
    purpose: str,
    description: str,
    obj: Any = None,
    legal_basis: str = "",
    legal_basis_note: str = "",
) -> Decision:
    """Ask the decision point under lock and, when allowed, record the disclosure.

    The client row is locked first, then the client's releases (the one lock order,
    see ``_lock_release``), so a revocation either completes before this disclosure
    (which is then refused) or waits until it is recorded.
    """
    _lock_client(client.pk)
    context = ConsentContext.load([client.pk], lock=True)
    decision = decide(
        context,
        client_id=client.pk,
        category=category,
        source=source,
        recipient=recipient,
        purpose=purpose,
        legal_basis=legal_basis,
    )
    if not decision.allowed or decision.reason == decision.reason.SAME_ORGANISATION:
        return decision
    recipient_org = Organisation.objects.get(pk=recipient.organisation_id)
    recipient_user = (
        User.objects.filter(pk=recipient.user_id).first() if recipient.user_id else None
    )
    name = (
        f"{recipient_user.display_name}, {recipient_org.name}"
        if recipient_user
        else recipient_org.name
    )
    disclosure = Disclosure.objects.create(
        client=client,
        release=decision.release,
        category=category,
        description=description,
        purpose=purpose,
        recipient_organisation=recipient_org,
        recipient_user=recipient_user,
        recipient_name=name,
        source_organisation_id=source.organisation_id,
        disclosed_by=actor,
        basis=decision.reason,
        part2_notice=category == Category.PART2_RECORDS,
        part2_notice_text=part2_notice_for(category),
        **_recorded_basis(decision, legal_basis, legal_basis_note),
        object_type=obj._meta.label_lower if obj is not None else "",
        # Rows without a public id (e.g. a referral's history event) are named by their key.
        object_id=str(getattr(obj, "public_id", None) or obj.pk) if obj is not None else "",
    )
    record(
        actor=actor,
        action=AuditAction.DISCLOSE,
        obj=disclosure,
        client=client,
        detail={
            "category": category,
            "release": str(decision.release.public_id) if decision.release else "",
            **({"legal_basis": legal_basis} if disclosure.legal_basis else {}),
        },
    )
    return decision


def object_ref(obj: Any) -> tuple[str, str]:
    """Return how the accounting names ``obj``: its model label and its public id (or key)."""
    # Rows without a public id (e.g. a referral's history event) are named by their key.
    return obj._meta.label_lower, str(getattr(obj, "public_id", None) or obj.pk)


def part2_notice_for(category: str) -> str:
    """Return the 42 CFR 2.32 notice that goes with ``category``: the full text for Part 2."""
    return PART2_NOTICE if category == Category.PART2_RECORDS else ""


@dataclass(frozen=True)
class Shown:
    """One item (or one section of it) a page shows to a reader of another organisation."""

    obj: Any
    category: str
    source: Party
    decision: Decision
    description: str
    section: str = ""
    #: A basis other than consent under which the page shows it though ``decision`` refused
    #: (a practice's serious-threat setting, 45 CFR 164.512(j)); such a showing is accounted too.
    basis: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (*object_ref(self.obj), self.section)


def account_shown(
    *,
    viewer: User,
    client: Client,
    recipient_organisation_id: int,
    purpose: str,
    shown: Iterable[Shown],
) -> list[Disclosure]:
    """Record each item a page shows another organisation for the first time; return the new rows.

    Showing an item another organisation wrote is a disclosure (45 CFR 164.528),
    the first time it reaches the reader's organisation: by then the item may be
    long held (written before the release was signed, or before its practice
    turned on the treatment exception). Items already in the accounting (sent
    when written, or shown before) add nothing. Costs one select of what was
    already disclosed, and when something is new the recipient, one insert and
    the audit row, whatever the number of items. The unique constraint on first
    showings keeps two readers loading the page at once to one row.
    """
    return account_shown_many(
        viewer=viewer,
        purpose=purpose,
        pages=[(client, recipient_organisation_id, list(shown))],
    )


def account_shown_many(
    *,
    viewer: User,
    purpose: str,
    pages: Iterable[tuple[Client, int, list[Shown]]],
) -> list[Disclosure]:
    """``account_shown`` for several clients at once: one select for all of them.

    Each of ``pages`` is (client, recipient organisation id, what was shown of that
    client). An API search page shows many clients' items; asking what was already
    disclosed once for the page keeps its queries constant. A client whose items are
    shown for the first time costs its insert and audit row, as in ``account_shown``.
    """
    groups: dict[tuple[int, int], tuple[Client, dict[tuple[str, str, str], Shown]]] = {}
    for client, recipient_organisation_id, shown in pages:
        pending = groups.setdefault((client.pk, recipient_organisation_id), (client, {}))[1]
        for item in shown:
            by_consent = item.decision.allowed and item.decision.reason != Reason.SAME_ORGANISATION
            if (
                by_consent or item.basis
            ) and item.source.organisation_id != recipient_organisation_id:
                pending.setdefault(item.key, item)
    groups = {key: group for key, group in groups.items() if group[1]}
    if not groups:
        return []
    known = set(
        Disclosure.objects.filter(
            client_id__in={key[0] for key in groups},
            recipient_organisation_id__in={key[1] for key in groups},
            object_type__in={k[0] for _, pending in groups.values() for k in pending},
        ).values_list(
            "client_id", "recipient_organisation_id", "object_type", "object_id", "section"
        )
    )
    rows: list[Disclosure] = []
    for (client_id, recipient_organisation_id), (client, pending) in groups.items():
        new = [
            item
            for key, item in pending.items()
            if (client_id, recipient_organisation_id, *key) not in known
        ]
        if new:
            # the rows and their audit row, together; no write, no transaction
            with transaction.atomic():
                rows += _insert_shown(viewer, client, recipient_organisation_id, purpose, new)
    return rows


def _insert_shown(
    viewer: User, client: Client, recipient_organisation_id: int, purpose: str, new: list[Shown]
) -> list[Disclosure]:
    recipient = Organisation.objects.get(pk=recipient_organisation_id)
    now = timezone.now()
    rows = [
        Disclosure(
            client=client,
            release=None if item.basis else item.decision.release,
            category=item.category,
            description=item.description,
            purpose=purpose,
            disclosed_at=now,
            recipient_organisation=recipient,
            recipient_user=viewer,
            recipient_name=f"{viewer.display_name}, {recipient.name}",
            source_organisation_id=item.source.organisation_id,
            disclosed_by_id=item.source.user_id,
            basis=item.basis or item.decision.reason,
            part2_notice=item.category == Category.PART2_RECORDS,
            part2_notice_text=part2_notice_for(item.category),
            object_type=item.key[0],
            object_id=item.key[1],
            section=item.section,
            first_shown=True,
        )
        for item in new
    ]
    Disclosure.objects.bulk_create(rows, ignore_conflicts=True)
    record(
        actor=viewer,
        action=AuditAction.DISCLOSE,
        object_type=Disclosure._meta.label_lower,
        client=client,
        organisation=recipient,
        detail={"first_shown": [str(row.public_id) for row in rows]},
    )
    return rows


def _recorded_basis(decision: Decision, legal_basis: str, note: str) -> dict[str, str]:
    # Stored only when the recorded basis is what let the disclosure through.
    if decision.reason != Reason.ALLOWED_RECORDED_BASIS:
        return {}
    return {"legal_basis": legal_basis, "legal_basis_note": note.strip()}


@transaction.atomic
def record_treatment_disclosure(
    *,
    actor: User,
    client: Client,
    recipient_organisation: Organisation,
    category: str,
    description: str,
    legal_basis: str,
    note: str,
) -> Decision:
    """Record one treatment disclosure a clinician makes, with its legal basis, after the client
    revoked their release (the treatment exception no longer carries anything on its own).

    The disclosure goes into the client's accounting with the basis and the note.
    """
    member = seat(actor, client)
    if member is None or not policy.allows(actor, Action.CHANGE, client):
        raise Forbidden("Only the client's therapist or prescriber may record this.")
    errors: dict[str, list[str]] = {}
    if category not in GENERAL_CATEGORIES:
        errors["category"] = [
            "Psychotherapy notes and Part 2 substance use records are never shared without "
            "the client's own authorization."
        ]
    if not description.strip():
        errors["description"] = [
            "Say what you are sharing, without clinical details: the client reads it."
        ]
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = ["Choose the legal basis for this disclosure."]
    if not note.strip():
        errors["note"] = [
            "Write why this disclosure is needed for the client's treatment: it is shown to "
            "the client in their list of what has been shared."
        ]
    if errors:
        raise ValidationError(errors)
    decision = disclose(
        actor=actor,
        client=client,
        category=category,
        source=Party(member.organisation_id, actor.pk),
        recipient=Party(recipient_organisation.pk),
        purpose=Purpose.TREATMENT_COORDINATION,
        description=description.strip(),
        legal_basis=legal_basis,
        legal_basis_note=note,
    )
    if not decision.allowed or decision.reason == Reason.SAME_ORGANISATION:
        raise ValidationError({"__all__": [decision.message]})
    return decision


def remind_expiry(release_id: int, days_before: int) -> None:
    """Tell the client and the therapist that a signed release expires soon (once per threshold)."""
    with transaction.atomic():
        release = (
            Release.objects.select_related("client__user", "prepared_by")
            .filter(pk=release_id)
            .first()
        )
        if release is None or release.status != ReleaseStatus.SIGNED or release.is_expired():
            return
        key = f"release-expiry:{release.public_id}:{days_before}"
        if release.client.user is not None:
            notify(
                [release.client.user],
                NotificationKind.RELEASE_EXPIRING,
                reverse("consent:mine"),
                dedupe_key=key,
                about=release.client_id,
            )
        notify(
            [release.prepared_by],
            NotificationKind.RELEASE_EXPIRING,
            reverse("consent:client_status", kwargs={"client_id": release.client.public_id}),
            dedupe_key=key,
            about=release.client_id,
        )
