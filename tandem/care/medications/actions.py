"""Writes of medications: the prescriber records a start, dose change or stop.

The therapist is told at once, through the consent decision point, with no
details in the notification.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.medications import drugs
from tandem.care.medications.models import MedicationChange, MedicationEvent
from tandem.care.medications.selectors import active_medications
from tandem.care.sharing import SendResult, require_seat, share, team
from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind


@transaction.atomic
def record_medication(
    *,
    actor: User,
    client: Client,
    change: str,
    drug: str,
    dose: str | Decimal | None = None,
    unit: str = "",
    frequency: str = "",
    reason: str = "",
    watch_for: str = "",
) -> tuple[MedicationEvent, SendResult]:
    """Record a start, dose change or stop, and tell the therapist at once (no details in the note)."""
    member = require_seat(
        actor, client, (Role.PRESCRIBER,), "Only the client's prescriber records medications."
    )
    Client.objects.select_for_update().filter(pk=client.pk).first()
    errors: dict[str, list[str]] = {}
    found = drugs.lookup(drug)
    if change not in MedicationChange.values:
        errors["change"] = ["Choose start, dose change or stop."]
    if found is None:
        errors["drug"] = ["Choose the medication from the list (generic names)."]
    current = active_medications(list(MedicationEvent.objects.filter(client=client)))
    amount: Decimal | None = None
    if change in (MedicationChange.START, MedicationChange.DOSE_CHANGE):
        try:
            amount = Decimal(str(dose)) if dose not in (None, "") else None
        except InvalidOperation:
            amount = None
        if amount is None or amount <= 0:
            errors["dose"] = ["Give the dose as a positive number, e.g. 50 or 0.5."]
        if unit not in drugs.UNITS:
            errors["unit"] = [f"Choose a unit: {', '.join(drugs.UNITS)}."]
        if not frequency.strip():
            errors["frequency"] = ["Say how often, e.g. once daily in the morning."]
    if found is not None and change == MedicationChange.START and found.name in current:
        errors["drug"] = [f"{found.name} is already active; record a dose change instead."]
    if (
        found is not None
        and change in (MedicationChange.DOSE_CHANGE, MedicationChange.STOP)
        and found.name not in current
    ):
        errors["drug"] = [f"{found.name} is not an active medication; record a start first."]
    if change == MedicationChange.STOP and found is not None and found.name in current:
        amount, unit, frequency = current[found.name].dose, current[found.name].unit, ""
    if errors:
        raise ValidationError(errors)
    assert found is not None
    event = MedicationEvent.objects.create(
        client=client,
        prescriber=actor,
        organisation=member.organisation,
        change=change,
        drug=found.name,
        rxcui=found.rxcui,
        dose=amount,
        unit=unit,
        frequency=frequency.strip(),
        reason=reason.strip(),
        watch_for=watch_for.strip(),
        occurred_at=timezone.now(),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=event,
        client=client,
        organisation=member.organisation,
        detail={"change": change},
    )
    outcomes = share(
        actor=actor,
        client=client,
        obj=event,
        category=Category.MEDICATIONS,
        description=f"Medication update {event.reference}",
        source=Party(member.organisation_id, actor.pk),
        members=team(client, (Role.THERAPIST,)),
    )
    result = SendResult.of(outcomes)
    notify(
        [m.user for m in result.delivered],
        NotificationKind.MEDICATION_UPDATE,
        reverse("care:medications", kwargs={"client_id": client.public_id}),
        reference=event.reference,
        about=client.pk,
    )
    return event, result
