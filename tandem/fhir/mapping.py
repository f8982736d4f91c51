"""Tandem's records as FHIR R4 resources: pure functions, no queries of their own.

Each function takes objects the caller has already fetched through the access
doors, plus what the consent decision let through, and returns a plain dict ready
for JSON. The tests validate every output with fhir.resources.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from typing import Any

from tandem.accounts.models import User
from tandem.care.medications.models import MedicationChange, MedicationEvent
from tandem.care.notes.models import ConsultNote
from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.models import PartyRole, Release, ReleaseStatus
from tandem.fhir import codes
from tandem.measures.models import QuestionnaireResponse
from tandem.organisations.models import Membership, Organisation
from tandem.referrals import icd10
from tandem.referrals.models import Referral, ReferralReason
from tandem.scheduling.models import Appointment


def ref(resource_type: str, public_id: Any, display: str = "") -> dict[str, str]:
    out = {"reference": f"{resource_type}/{public_id}"}
    if display:
        out["display"] = display
    return out


def instant(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _meta(updated: dt.datetime | None, version: int | None = None, redacted: bool = False) -> dict:
    meta: dict[str, Any] = {}
    if version is not None:
        meta["versionId"] = str(version)
    if updated is not None:
        meta["lastUpdated"] = instant(updated)
    if redacted:
        # Part of the resource is withheld (no release covers it): say so, as the pages do.
        meta["security"] = [codes.SECURITY_REDACTED]
    return meta


def _compact(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _compact(value)
        elif isinstance(value, list):
            value = [_compact(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in ("", None, {}, [])]
        if value in ("", None, {}, []):
            continue
        out[key] = value
    return out


# --- people and practices ---------------------------------------------------------------


def patient(client: Client) -> dict[str, Any]:
    return _compact(
        {
            "resourceType": "Patient",
            "id": str(client.public_id),
            "identifier": [
                {"system": codes.UUID_IDENTIFIER, "value": f"urn:uuid:{client.public_id}"}
            ],
            "name": [{"family": client.last_name, "given": [client.first_name]}],
            "birthDate": client.date_of_birth.isoformat(),
            "telecom": [
                {"system": "email", "value": client.email} if client.email else {},
                {"system": "phone", "value": client.phone} if client.phone else {},
            ],
            "address": [{"state": client.state_of_residence, "country": "US"}]
            if client.state_of_residence
            else [],
        }
    )


def practitioner(user: User) -> dict[str, Any]:
    profile = getattr(user, "clinician_profile", None)
    identifiers = []
    qualifications = []
    if profile is not None:
        if profile.npi:
            identifiers.append({"system": codes.NPI, "value": profile.npi})
        qualifications.append(
            {
                "code": {"text": profile.get_licence_type_display()},
                "identifier": [{"value": profile.licence_number}],
            }
        )
    return _compact(
        {
            "resourceType": "Practitioner",
            "id": str(user.public_id),
            "identifier": identifiers,
            "active": user.is_active,
            "name": [{"text": user.full_name}] if user.full_name else [],
            "qualification": qualifications,
        }
    )


def practitioner_role(membership: Membership) -> dict[str, Any]:
    return _compact(
        {
            "resourceType": "PractitionerRole",
            "id": str(membership.public_id),
            "active": membership.is_active,
            "practitioner": ref("Practitioner", membership.user.public_id),
            "organization": ref("Organization", membership.organisation.public_id),
            "code": [
                {
                    "coding": [
                        {
                            "system": codes.PRACTICE_ROLE,
                            "code": membership.role,
                            "display": membership.get_role_display(),
                        }
                    ]
                }
            ],
        }
    )


def organization(org: Organisation) -> dict[str, Any]:
    return _compact(
        {
            "resourceType": "Organization",
            "id": str(org.public_id),
            "active": org.is_active,
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "prov",
                            "display": "Healthcare Provider",
                        }
                    ],
                    "text": org.get_kind_display(),
                }
            ],
            "name": org.name,
            "telecom": [{"system": "phone", "value": org.phone} if org.phone else {}],
            "address": [
                {
                    "line": [org.address_line] if org.address_line else [],
                    "city": org.city,
                    "state": org.state,
                    "postalCode": org.postal_code,
                    "country": "US",
                }
            ],
        }
    )


# --- the referral loop ------------------------------------------------------------------

#: The packet's free-text fields, carried as ServiceRequest.note entries with these ids.
NOTE_FIELDS = ("symptoms_tried", "treatment_history", "medical_history", "substance_use")
#: Packet section (referrals.selectors) -> the referral fields it shows.
SECTION_FIELDS = {
    "reasons": ("reasons", "symptoms_tried", "diagnostic_questions"),
    "diagnoses": ("diagnoses",),
    "treatment_history": ("treatment_history",),
    "medications": ("medications",),
    "safety": (),
    "substance_use": ("substance_use",),
    "medical_history": ("medical_history",),
    "recent_scores": (),
}


def service_request(referral: Referral, shown_sections: Iterable[str]) -> dict[str, Any]:
    """Return the referral as a ServiceRequest with only the packet sections in ``shown_sections``.

    A section the consent decision (or the reader's role) withholds is simply absent, and
    the resource carries the REDACTED security label.
    """
    shown = set(shown_sections)
    fields = {f for key in shown for f in SECTION_FIELDS[key]}
    reason_codes: list[dict[str, Any]] = []
    if "reasons" in fields:
        reason_codes += [
            {
                "coding": [
                    {
                        "system": codes.REFERRAL_REASON,
                        "code": code,
                        "display": ReferralReason(code).label,
                    }
                ]
            }
            for code in referral.reasons
        ]
    if "diagnoses" in fields:
        for code in referral.diagnoses:
            found = icd10.lookup(code)
            coding = {"system": codes.ICD10CM, "code": code}
            if found and found.description:
                coding["display"] = found.description
            reason_codes.append({"coding": [coding]})
    notes = [
        {"id": name, "text": getattr(referral, name)}
        for name in NOTE_FIELDS
        if name in fields and getattr(referral, name)
    ]
    return _compact(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.public_id),
            "meta": _meta(
                referral.updated_at, referral.version, redacted=set(SECTION_FIELDS) - shown != set()
            ),
            "identifier": [
                {"system": codes.UUID_IDENTIFIER, "value": f"urn:uuid:{referral.idempotency_key}"}
            ],
            "extension": [
                {
                    "url": codes.EXT_ELIGIBILITY,
                    "extension": [
                        {"url": "payer", "valueCode": referral.payer},
                        {"url": "plan-type", "valueCode": referral.plan_type},
                        {"url": "service", "valueCode": referral.service},
                        {"url": "visit-state", "valueCode": referral.visit_state},
                    ],
                }
            ],
            "status": codes.SERVICE_REQUEST_STATUS[referral.status],
            "intent": "order",
            "priority": "urgent" if referral.urgent else "routine",
            "code": {"text": referral.get_service_display()},
            "subject": ref("Patient", referral.client.public_id, str(referral.client)),
            "authoredOn": instant(referral.sent_at or referral.created_at),
            "requester": ref("Practitioner", referral.therapist.public_id),
            "performer": [ref("Organization", referral.to_organisation.public_id)],
            "reasonCode": reason_codes,
            "note": notes,
        }
    )


def task(referral: Referral) -> dict[str, Any]:
    """Return the referral's workflow as a Task: status, business status and the response clock."""
    status, business = codes.TASK_STATUS[referral.status]
    return _compact(
        {
            "resourceType": "Task",
            "id": str(referral.public_id),
            "meta": _meta(referral.updated_at, referral.version),
            "status": status,
            "businessStatus": {
                "coding": [{"system": codes.BUSINESS_STATUS, "code": referral.status}],
                "text": business,
            },
            "statusReason": {
                "coding": [{"system": codes.DECLINE_REASON, "code": referral.decline_reason}],
                "text": referral.get_decline_reason_display(),
            }
            if referral.decline_reason
            else {},
            "intent": "order",
            "priority": "urgent" if referral.urgent else "routine",
            "focus": ref("ServiceRequest", referral.public_id),
            "for": ref("Patient", referral.client.public_id),
            "authoredOn": instant(referral.sent_at or referral.created_at),
            "lastModified": instant(referral.updated_at),
            "requester": ref("Practitioner", referral.therapist.public_id),
            "owner": ref("Organization", referral.to_organisation.public_id),
            "restriction": {"period": {"end": instant(referral.due_at)}} if referral.due_at else {},
        }
    )


# --- the shared record ------------------------------------------------------------------


def consent(release: Release) -> dict[str, Any]:
    """Return a release as a Consent: what it covers, for whom, for how long, and its status."""
    status = {
        ReleaseStatus.DRAFT: "draft",
        ReleaseStatus.SIGNED: "active",
        ReleaseStatus.REVOKED: "inactive",
        ReleaseStatus.SUPERSEDED: "inactive",
        ReleaseStatus.WITHDRAWN: "rejected",
    }[ReleaseStatus(release.status)]
    role_code = {PartyRole.DISCLOSER: "PRCP", PartyRole.RECIPIENT: "IRCP"}
    actors = [
        {
            "role": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                        "code": role_code[PartyRole(party.role)],
                    }
                ]
            },
            "reference": ref("Organization", party.organisation.public_id),
        }
        for party in release.parties.all()
    ]
    end = release.expires_on.isoformat() if release.expires_on else None
    if release.revoked_at:
        end = instant(release.revoked_at)
    return _compact(
        {
            "resourceType": "Consent",
            "id": str(release.public_id),
            "status": status,
            "scope": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy",
                    }
                ]
            },
            "category": [{"coding": [{"system": codes.LOINC, "code": "59284-0"}]}],
            "patient": ref("Patient", release.client.public_id),
            "dateTime": instant(release.signed_at),
            "policyRule": {"text": release.get_kind_display()},
            # The signed PDF, as a DocumentReference of the same id (none before signing).
            "sourceReference": ref("DocumentReference", release.public_id)
            if release.signed_at
            else None,
            "provision": {
                "type": "permit",
                "period": {"start": release.effective_from.isoformat(), "end": end},
                "actor": actors,
                "purpose": [
                    {"system": f"{codes.CANONICAL}/CodeSystem/purpose", "code": release.purpose}
                ],
                "class": [
                    {"system": codes.RELEASE_CATEGORY, "code": c, "display": Category(c).label}
                    for c in release.categories
                ],
            },
        }
    )


def document_reference(note: ConsultNote, pdf: bytes) -> dict[str, Any]:
    """Return a signed consult note as a DocumentReference carrying its PDF."""
    return _compact(
        {
            "resourceType": "DocumentReference",
            "id": str(note.public_id),
            "meta": _meta(note.updated_at, note.version),
            "identifier": [{"system": f"{codes.CANONICAL}/sid/note", "value": note.reference}],
            "status": "current",
            "docStatus": "final" if note.signed_at else "preliminary",
            "type": {
                "coding": [{"system": codes.LOINC, "code": "11488-4", "display": "Consult note"}]
            },
            "subject": ref("Patient", note.client.public_id),
            "date": instant(note.signed_at or note.updated_at),
            "author": [ref("Practitioner", note.author.public_id)],
            "custodian": ref("Organization", note.organisation.public_id),
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "data": base64.b64encode(pdf).decode(),
                        "title": f"Initial consultation note {note.reference}",
                        "creation": instant(note.signed_at),
                    }
                }
            ],
        }
    )


#: LOINC's code for a consent document (a signed release), and a consult note's.
RELEASE_DOCUMENT_TYPE = "59284-0"
NOTE_DOCUMENT_TYPE = "11488-4"


def release_document(release: Release, pdf: bytes) -> dict[str, Any]:
    """Return a signed release as a DocumentReference carrying its PDF (the web's download).

    ``status`` is about the document: a release replaced by a newer one is ``superseded``;
    any other signed release, revoked ones too, stays ``current`` (it is still the record
    of what was signed). A revoked release's PDF carries the revocation, so its
    ``docStatus`` is ``amended``; whether it still permits anything is its Consent's status.
    """
    revoked = release.status == ReleaseStatus.REVOKED
    return _compact(
        {
            "resourceType": "DocumentReference",
            "id": str(release.public_id),
            "status": "superseded" if release.status == ReleaseStatus.SUPERSEDED else "current",
            "docStatus": "amended" if revoked else "final",
            "type": {
                "coding": [
                    {
                        "system": codes.LOINC,
                        "code": RELEASE_DOCUMENT_TYPE,
                        "display": "Consent Document",
                    }
                ]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": f"{codes.CANONICAL}/CodeSystem/release-kind",
                            "code": release.kind,
                            "display": release.get_kind_display(),
                        }
                    ]
                }
            ],
            "subject": ref("Patient", release.client.public_id),
            "date": instant(release.signed_at),
            "description": (
                f"Revoked {instant(release.revoked_at)}: nothing may be disclosed under it since."
                if revoked and release.revoked_at
                else None
            ),
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "data": base64.b64encode(pdf).decode(),
                        "title": release.get_kind_display(),
                        "creation": instant(release.signed_at),
                    }
                }
            ],
            "context": {"related": [ref("Consent", release.public_id)]},
        }
    )


def appointment(appt: Appointment) -> dict[str, Any]:
    participants = [
        {"actor": ref("Practitioner", appt.prescriber.public_id), "status": "accepted"},
    ]
    if appt.client is not None:
        participants.insert(
            0, {"actor": ref("Patient", appt.client.public_id), "status": "accepted"}
        )
    return _compact(
        {
            "resourceType": "Appointment",
            "id": str(appt.public_id),
            "meta": _meta(None, appt.version),
            "status": codes.APPOINTMENT_STATUS[appt.status],
            "appointmentType": {"text": appt.appointment_type.name},
            "start": instant(appt.starts_at),
            "end": instant(appt.ends_at),
            "created": appt.created_at.date().isoformat(),
            "participant": participants,
        }
    )


def medication_statement(event: MedicationEvent) -> dict[str, Any]:
    coding = {"system": codes.RXNORM, "code": event.rxcui, "display": event.drug}
    dose = " ".join(
        part
        for part in (
            f"{event.dose.normalize():f}" if event.dose else "",
            event.unit,
            event.frequency,
        )
        if part
    )
    return _compact(
        {
            "resourceType": "MedicationStatement",
            "id": str(event.public_id),
            "status": "stopped" if event.change == MedicationChange.STOP else "active",
            "statusReason": [{"text": event.get_change_display()}],
            "medicationCodeableConcept": {
                "coding": [coding] if event.rxcui else [],
                "text": event.drug,
            },
            "subject": ref("Patient", event.client.public_id),
            "effectiveDateTime": instant(event.occurred_at),
            "dateAsserted": instant(event.occurred_at),
            "informationSource": ref("Practitioner", event.prescriber.public_id),
            "reasonCode": [{"text": event.reason}] if event.reason else [],
            "dosage": [{"text": dose}] if dose else [],
        }
    )


def questionnaire_response(response: QuestionnaireResponse) -> dict[str, Any]:
    """Return the answers, with the LOINC panel and item codes for PHQ-9 and GAD-7."""
    loinc = codes.INSTRUMENT_LOINC.get(response.instrument)
    item_codes = loinc.items if loinc else ()
    items = []
    for index, value in enumerate(response.answers):
        item: dict[str, Any] = {"linkId": str(index + 1)}
        if index < len(item_codes):
            item["definition"] = f"{codes.LOINC}|{item_codes[index]}"
        if value is not None:
            item["answer"] = [{"valueInteger": int(value)}]
        items.append(item)
    questionnaire = (
        f"{codes.LOINC}/{loinc.panel[0]}"
        if loinc
        else f"{codes.CANONICAL}/Questionnaire/{response.instrument}"
    )
    return _compact(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(response.public_id),
            "questionnaire": questionnaire,
            "status": "completed" if response.complete else "in-progress",
            "subject": ref("Patient", response.client.public_id),
            "authored": instant(response.entered_at),
            "item": items,
        }
    )


def score_observation(response: QuestionnaireResponse) -> dict[str, Any] | None:
    """Return the total score as an Observation with its band, or None if there is no total."""
    if response.total is None:
        return None
    loinc = codes.INSTRUMENT_LOINC.get(response.instrument)
    code: dict[str, Any]
    if loinc:
        number, display = loinc.total
        code = {"coding": [{"system": codes.LOINC, "code": number, "display": display}]}
    else:
        code = {"text": f"{response.get_instrument_display()} total score"}
    interpretation: dict[str, Any] = {"text": response.band}
    if response.positive is not None:
        interpretation["coding"] = [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                "code": "POS" if response.positive else "NEG",
            }
        ]
    return _compact(
        {
            "resourceType": "Observation",
            "id": str(response.public_id),
            "status": "final" if response.complete else "preliminary",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey",
                        }
                    ]
                }
            ],
            "code": code,
            "subject": ref("Patient", response.client.public_id),
            "effectiveDateTime": instant(response.entered_at),
            "valueQuantity": {
                "value": response.total,
                "system": "http://unitsofmeasure.org",
                "code": "{score}",
            },
            "interpretation": [interpretation],
            "derivedFrom": [ref("QuestionnaireResponse", response.public_id)],
        }
    )
