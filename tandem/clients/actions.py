"""Writes to the client record that the client makes themself."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core import phones
from tandem.core.policy import Forbidden

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
