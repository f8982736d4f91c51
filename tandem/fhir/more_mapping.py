"""Slot, Schedule, Questionnaire, Communication and AuditEvent as FHIR R4: pure functions.

Like ``mapping``, each takes what the caller already fetched through the doors and
returns a plain dict ready for JSON; the tests validate every output with fhir.resources.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tandem.audit.models import AuditAction
from tandem.audit.models import AuditEvent as TrailEvent
from tandem.care.messaging.models import Message
from tandem.core.roles import Role
from tandem.fhir import codes
from tandem.fhir.mapping import _compact, instant, ref
from tandem.measures.instruments import Instrument
from tandem.organisations.models import Membership
from tandem.scheduling.models import AppointmentType

#: Namespace of the ids Tandem derives (slots, questionnaires): uuid5 of what names them.
ID_NAMESPACE = uuid.UUID("5b0f8f59-55e4-4d8e-9a57-3d3c9c0a7e11")
APPOINTMENT_TYPE = f"{codes.CANONICAL}/CodeSystem/appointment-type"
AUDIT_ACTION = f"{codes.CANONICAL}/CodeSystem/audit-action"
RECORD_TYPE = f"{codes.CANONICAL}/CodeSystem/record-type"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


# --- Slot and Schedule ------------------------------------------------------------------


def slot_id(prescriber_public_id: Any, kind: AppointmentType, start: dt.datetime) -> str:
    """Return a slot's stable id: a uuid5 of the prescriber's and type's public ids and the start.

    Slots are computed, not stored; the id names the same slot every time it is offered
    and carries nothing a reader could decode.
    """
    moment = instant(start)
    return str(uuid.uuid5(ID_NAMESPACE, f"slot|{prescriber_public_id}|{kind.public_id}|{moment}"))


def service_type(kind: AppointmentType) -> dict[str, Any]:
    return {"coding": [{"system": APPOINTMENT_TYPE, "code": kind.code, "display": kind.name}]}


def slot(
    schedule: Membership, kind: AppointmentType, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    return _compact(
        {
            "resourceType": "Slot",
            "id": slot_id(schedule.user.public_id, kind, start),
            "serviceType": [service_type(kind)],
            "schedule": ref("Schedule", schedule.public_id),
            "status": "free",
            "start": instant(start),
            "end": instant(end),
        }
    )


def schedule(membership: Membership, kinds: list[AppointmentType]) -> dict[str, Any]:
    """Return a prescriber's calendar in their practice (its id is their role's there)."""
    return _compact(
        {
            "resourceType": "Schedule",
            "id": str(membership.public_id),
            "active": membership.is_active,
            "serviceType": [service_type(k) for k in kinds],
            "actor": [
                ref("Practitioner", membership.user.public_id),
                ref("PractitionerRole", membership.public_id),
            ],
        }
    )


# --- Questionnaire ----------------------------------------------------------------------


def questionnaire_id(instrument: Instrument) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"questionnaire|{instrument.code}"))


def questionnaire_url(code: str) -> str:
    """Return the instrument's canonical url: LOINC's panel where there is one, else Tandem's.

    The same url a QuestionnaireResponse names in ``questionnaire``.
    """
    loinc = codes.INSTRUMENT_LOINC.get(code)
    return f"{codes.LOINC}/{loinc.panel[0]}" if loinc else f"{codes.CANONICAL}/Questionnaire/{code}"


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """Return an instrument's definition: its items, their options and scores, LOINC codes."""
    loinc = codes.INSTRUMENT_LOINC.get(instrument.code)
    item_codes = loinc.items if loinc else ()
    answer_system = f"{codes.CANONICAL}/CodeSystem/{instrument.code}-answer"
    items = []
    for index, item in enumerate(instrument.items):
        coded = index < len(item_codes)
        items.append(
            {
                "linkId": str(index + 1),
                "definition": f"{codes.LOINC}|{item_codes[index]}" if coded else None,
                "code": [{"system": codes.LOINC, "code": item_codes[index]}] if coded else [],
                "prefix": item.number,
                "text": item.text,
                "type": "choice",
                "required": False,
                "answerOption": [
                    {
                        "valueCoding": {
                            "system": answer_system,
                            "code": str(option.value),
                            "display": option.label,
                            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
                        }
                    }
                    for option in item.options
                ],
            }
        )
    return _compact(
        {
            "resourceType": "Questionnaire",
            "id": questionnaire_id(instrument),
            "url": questionnaire_url(instrument.code),
            "identifier": [
                {"system": f"{codes.CANONICAL}/sid/instrument", "value": instrument.code}
            ],
            "version": instrument.version,
            "name": "".join(ch for ch in instrument.code.upper() if ch.isalnum()),
            "title": instrument.name,
            "status": "active",
            "subjectType": ["Patient"],
            "description": f"{instrument.measures}. {instrument.instructions}".strip(". ")
            if instrument.measures
            else instrument.instructions,
            "copyright": instrument.licence,
            "code": [{"system": codes.LOINC, "code": loinc.panel[0], "display": loinc.panel[1]}]
            if loinc
            else [],
            "item": items,
        }
    )


# --- Communication ----------------------------------------------------------------------


def communication(message: Message) -> dict[str, Any]:
    """Return a clinicians' message on a client's thread (its attachments are not carried)."""
    return _compact(
        {
            "resourceType": "Communication",
            "id": str(message.public_id),
            "status": "completed",
            "category": [{"text": "Question" if message.is_question else "Message"}],
            "subject": ref("Patient", message.client.public_id),
            "sent": instant(message.created_at),
            "sender": ref("Practitioner", message.author.public_id),
            "payload": [{"contentString": message.body}],
        }
    )


# --- AuditEvent -------------------------------------------------------------------------

_CRUDE = {
    AuditAction.VIEW: "R",
    AuditAction.CREATE: "C",
    AuditAction.UPDATE: "U",
    AuditAction.DELETE: "D",
}


def audit_event_id(event: TrailEvent) -> str:
    """Return the event's public id: the first half of its chain hash (the row has no other)."""
    return str(uuid.UUID(event.hash[:32]))


def audit_event(event: TrailEvent, actor_public_id: Any) -> dict[str, Any]:
    """Return one event of the audit trail: who (agent), what (entity), when, through where."""
    role = Role(event.actor_role).label if event.actor_role in Role.values else ""
    agents: list[dict[str, Any]] = [
        {
            "type": {"text": role} if role else {},
            "who": ref("Practitioner", actor_public_id)
            if actor_public_id
            else {"display": "Tandem (automatic)"},
            "requestor": True,
        }
    ]
    if event.organisation_id:
        agents.append({"who": ref("Organization", event.organisation_id), "requestor": False})
    entities: list[dict[str, Any]] = []
    if event.client_id:
        entities.append(
            {
                "what": ref("Patient", event.client_id),
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "1",
                    "display": "Patient",
                },
            }
        )
    if event.object_type:
        entities.append(
            {
                "what": {
                    "identifier": {
                        "system": f"{codes.CANONICAL}/sid/{event.object_type}",
                        "value": event.object_id,
                    }
                }
                if event.object_id
                else {"display": event.object_type},
                "type": {"system": RECORD_TYPE, "code": event.object_type},
            }
        )
    label = AuditAction(event.action).label if event.action in AuditAction.values else ""
    return _compact(
        {
            "resourceType": "AuditEvent",
            "id": audit_event_id(event),
            "type": {
                "system": "http://dicom.nema.org/resources/ontology/DCM",
                "code": "110110",
                "display": "Patient Record",
            },
            "subtype": [{"system": AUDIT_ACTION, "code": event.action, "display": label}],
            "action": _CRUDE.get(AuditAction(event.action), "E")
            if event.action in AuditAction.values
            else "E",
            "recorded": instant(event.occurred_at),
            "outcome": "0",
            "agent": agents,
            "source": {"observer": {"display": "Tandem"}},
            "entity": entities,
        }
    )
