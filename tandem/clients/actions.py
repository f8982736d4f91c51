"""Writes to the client record: what the client makes themself, and what their practice brings in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.audit.actions import record, record_many
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.core import phones, policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation

#: The client's own check of each field: (field, message when it is missing or wrong).
EMERGENCY_MESSAGES = {
    "name": "Emergency contact name: someone we may call in an emergency.",
    "relationship": "Emergency contact relationship: e.g. sister, friend.",
    "phone": f"Emergency contact phone: {phones.RULE}",
}


def clean_emergency_contact(*, name: str, relationship: str, phone: str) -> dict[str, str]:
    """Return the contact tidied (the phone as "(617) 555-0123"), or raise naming each bad field."""
    errors: dict[str, str] = {}
    name, relationship = (name or "").strip(), (relationship or "").strip()
    number = phones.normalise(phone or "")
    name_max = Client._meta.get_field("emergency_contact_name").max_length or 0
    rel_max = Client._meta.get_field("emergency_contact_relationship").max_length or 0
    if not name:
        errors["name"] = EMERGENCY_MESSAGES["name"]
    elif len(name) > name_max:
        errors["name"] = f"Emergency contact name: at most {name_max} characters."
    if not relationship:
        errors["relationship"] = EMERGENCY_MESSAGES["relationship"]
    elif len(relationship) > rel_max:
        errors["relationship"] = f"Emergency contact relationship: at most {rel_max} characters."
    if number is None:
        errors["phone"] = EMERGENCY_MESSAGES["phone"]
    if errors:
        raise ValidationError(errors)
    assert number is not None
    return {"name": name, "relationship": relationship, "phone": number}


@transaction.atomic
def set_emergency_contact(
    *, actor: Any, client: Client, name: str, relationship: str, phone: str
) -> Client:
    """Keep the client's emergency contact (name, relationship, phone); only the client sets it.

    The audit row says what changed, never the contact's details. Nothing is
    written when the contact is unchanged.
    """
    if actor is None or client.user_id != actor.pk:
        raise Forbidden("Only the client keeps their emergency contact.")
    clean = clean_emergency_contact(name=name, relationship=relationship, phone=phone)
    values = {
        "emergency_contact_name": clean["name"],
        "emergency_contact_relationship": clean["relationship"],
        "emergency_contact_phone": clean["phone"],
    }
    if all(getattr(client, field) == value for field, value in values.items()):
        return client
    for field, value in values.items():
        setattr(client, field, value)
    client.save(update_fields=list(values))
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=client,
        client=client,
        detail={"changed": ["emergency_contact"]},
    )
    return client


#: The client's details a practice may bring in from its own records (a roster import).
DETAIL_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "state_of_residence")


def _check_details(client: Client) -> None:
    """Raise a ValidationError keyed by field for any detail the client record refuses."""
    client.full_clean(exclude=[f.name for f in Client._meta.fields if f.name not in DETAIL_FIELDS])


@transaction.atomic
def enrol_client(
    *,
    actor: Any,
    organisation: Organisation,
    clinician: Any,
    details: dict[str, Any],
    via: str,
) -> Client:
    """Open a client record for ``organisation`` with ``clinician`` on its care team.

    Only the practice's admins enrol clients this way (a roster import); the
    clinician must be an active therapist or prescriber of the practice, since a
    client nobody in the practice cares for could be seen by no one. Two audit
    rows: the record, and the care-team seat.
    """
    if not policy.allows(actor, Action.MANAGE, organisation):
        raise Forbidden("Only the practice's admins enrol clients.")
    seat = (
        Membership.objects.filter(
            user=clinician,
            organisation=organisation,
            is_active=True,
            role__in=(Role.THERAPIST, Role.PRESCRIBER),
        )
        .order_by("role")
        .first()
    )
    if seat is None:
        raise ValidationError(
            {"care_team": "The client's clinician must be a therapist or prescriber here."}
        )
    client = Client(**{k: v for k, v in details.items() if k in DETAIL_FIELDS})
    _check_details(client)
    client.save()
    member = CareTeamMember.objects.create(
        client=client,
        user=clinician,
        organisation=organisation,
        role=seat.role,
        is_primary_therapist=seat.role == Role.THERAPIST,
    )
    common = {"actor": actor, "action": AuditAction.CREATE, "client": client}
    record_many(
        [
            {**common, "obj": client, "organisation": organisation, "detail": {"via": via}},
            {
                **common,
                "obj": member,
                "organisation": organisation,
                "detail": {"via": via, "role": seat.role, "user": str(clinician.public_id)},
            },
        ]
    )
    policy.forget(clinician)
    return client


@transaction.atomic
def update_client_details(
    *, actor: Any, organisation: Organisation, client: Client, details: dict[str, Any], via: str
) -> list[str]:
    """Bring a client's details up to date from the practice's records; return what changed.

    Only the admins of a practice on the client's care team may; the audit row
    names the fields that changed, never their values. Nothing is written when
    nothing changed.
    """
    if not policy.allows(actor, Action.MANAGE, organisation) or not (
        CareTeamMember.objects.filter(
            client=client, organisation=organisation, ended_on__isnull=True
        ).exists()
    ):
        raise Forbidden("Only the admins of a practice caring for the client update it.")
    locked = Client.objects.select_for_update().get(pk=client.pk)
    changed = [
        name for name in DETAIL_FIELDS if name in details and getattr(locked, name) != details[name]
    ]
    if not changed:
        return []
    for name in changed:
        setattr(locked, name, details[name])
    _check_details(locked)
    locked.save(update_fields=changed)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        client=locked,
        organisation=organisation,
        detail={"changed": changed, "via": via},
    )
    return changed
