"""A referral sent in from an EHR: a transaction Bundle of a ServiceRequest and its Task.

The Bundle is checked element by element (fhir.resources, then Tandem's own rules),
and the referral is made by the same actions as the web form (``start_referral``,
``save_draft``, ``send_referral``) in one transaction: it is either in the
practice's inbox, or nothing was stored and every problem is named by its path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import codes
from tandem.fhir.mapping import NOTE_FIELDS
from tandem.fhir.validation import InvalidResource, Problem, parse
from tandem.referrals import actions
from tandem.referrals.models import Referral, ReferralReason
from tandem.referrals.selectors import referral_practices


@dataclass
class Received:
    referral: Referral
    created: bool  # False when the If-None-Exist matched a referral already sent


#: Where each referral field comes from in the ServiceRequest.
FIELD_PATHS = {
    "reasons": "reasonCode",
    "diagnoses": "reasonCode",
    "diagnostic_questions": "reasonCode",
    "symptoms_tried": "note",
    "treatment_history": "note",
    "medical_history": "note",
    "substance_use": "note",
    "practice": "performer[0]",
    "to_organisation": "performer[0]",
    "age": "subject",
    "visit_state": f"extension('{codes.EXT_ELIGIBILITY}').extension('visit-state')",
    "payer": f"extension('{codes.EXT_ELIGIBILITY}').extension('payer')",
    "plan_type": f"extension('{codes.EXT_ELIGIBILITY}').extension('plan-type')",
    "service": f"extension('{codes.EXT_ELIGIBILITY}').extension('service')",
}


def _entries(
    bundle: dict[str, Any],
) -> tuple[tuple[int, dict[str, Any]], tuple[int, dict[str, Any]]]:
    if bundle.get("type") != "transaction":
        raise InvalidResource(
            [Problem("Bundle.type", "Send the referral as a transaction Bundle.")]
        )
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    problems = []
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType")
        request = entry.get("request", {})
        if kind not in ("ServiceRequest", "Task") or kind in found:
            problems.append(
                Problem(
                    f"Bundle.entry[{index}].resource.resourceType",
                    "A referral transaction holds one ServiceRequest and one Task.",
                    "not-supported",
                )
            )
        elif request.get("method") != "POST" or request.get("url") != kind:
            problems.append(
                Problem(
                    f"Bundle.entry[{index}].request", f"Create it: POST {kind}.", "not-supported"
                )
            )
        else:
            found[kind] = (index, entry)
    for kind in ("ServiceRequest", "Task"):
        if kind not in found:
            problems.append(Problem("Bundle.entry", f"The transaction needs a {kind}.", "required"))
    if problems:
        raise InvalidResource(problems)
    return found["ServiceRequest"], found["Task"]


def _key(entry: dict[str, Any], at: str) -> uuid.UUID:
    """Return the referral's idempotency key: the ServiceRequest's urn:uuid identifier."""
    resource = entry["resource"]
    values = [
        i.get("value", "")
        for i in resource.get("identifier", [])
        if i.get("system") == codes.UUID_IDENTIFIER
    ]
    condition = entry.get("request", {}).get("ifNoneExist", "")
    wanted = f"identifier={codes.UUID_IDENTIFIER}|"
    if not values:
        raise InvalidResource(
            [
                Problem(
                    f"{at}.resource.identifier",
                    f"Give the referral an identifier with system {codes.UUID_IDENTIFIER} and a "
                    "urn:uuid: value: it makes sending twice send once.",
                    "required",
                )
            ]
        )
    if condition and condition != wanted + values[0]:
        raise InvalidResource(
            [
                Problem(
                    f"{at}.request.ifNoneExist",
                    f"Only {wanted}<the ServiceRequest's urn:uuid identifier> is supported.",
                    "not-supported",
                )
            ]
        )
    try:
        return uuid.UUID(values[0].removeprefix("urn:uuid:"))
    except ValueError:
        raise InvalidResource(
            [Problem(f"{at}.resource.identifier", "The identifier's value is urn:uuid:<a UUID>.")]
        ) from None


def _reference(value: Any, kind: str, path: str) -> uuid.UUID:
    reference = (value or {}).get("reference", "") if isinstance(value, dict) else ""
    try:
        if not reference.startswith(f"{kind}/"):
            raise ValueError
        return uuid.UUID(reference.removeprefix(f"{kind}/"))
    except ValueError:
        raise InvalidResource(
            [Problem(path, f"Reference a {kind} Tandem knows: {kind}/<id>.")]
        ) from None


def _packet(resource: dict[str, Any], at: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Return (eligibility facts, packet fields) read from the ServiceRequest."""
    facts: dict[str, str] = {}
    for extension in resource.get("extension", []):
        if extension.get("url") == codes.EXT_ELIGIBILITY:
            for part in extension.get("extension", []):
                facts[part.get("url", "").replace("-", "_")] = part.get("valueCode", "")
    missing = [f for f in ("payer", "plan_type", "service", "visit_state") if not facts.get(f)]
    if missing:
        raise InvalidResource(
            [
                Problem(
                    f"{at}.{FIELD_PATHS[f]}",
                    f"The referral needs its {f.replace('_', ' ')}.",
                    "required",
                )
                for f in missing
            ]
        )
    data: dict[str, Any] = {"reasons": [], "diagnoses": [], "diagnostic_questions": []}
    problems = []
    for index, concept in enumerate(resource.get("reasonCode", [])):
        for coding in concept.get("coding", []):
            system, code = coding.get("system"), coding.get("code", "")
            if system == codes.REFERRAL_REASON and code in ReferralReason.values:
                data["reasons"].append(code)
            elif system == codes.ICD10CM:
                data["diagnoses"].append(code)
            else:
                problems.append(
                    Problem(
                        f"{at}.reasonCode[{index}].coding",
                        f"Use {codes.REFERRAL_REASON} ({', '.join(ReferralReason.values)}) or "
                        f"ICD-10-CM ({codes.ICD10CM}).",
                        "code-invalid",
                    )
                )
    for index, note in enumerate(resource.get("note", [])):
        if note.get("id") in NOTE_FIELDS:
            data[note["id"]] = note.get("text", "")
        else:
            problems.append(
                Problem(
                    f"{at}.note[{index}].id",
                    f"Each note names its part of the packet: one of {', '.join(NOTE_FIELDS)}.",
                )
            )
    if problems:
        raise InvalidResource(problems)
    return facts, data


def _as_problems(error: ValidationError | actions.IneligibleError, at: str) -> InvalidResource:
    if isinstance(error, actions.IneligibleError):
        pairs = [(m.field, m.message) for m in error.mismatches]
    else:
        pairs = [(f, m) for f, messages in error.message_dict.items() for m in messages]
    return InvalidResource(
        [
            Problem(f"{at}.{FIELD_PATHS.get(field, field)}", message, "business-rule")
            for field, message in pairs
        ]
    )


def receive_referral(actor: Any, bundle: Any) -> Received:
    """Create and send the referral a transaction Bundle describes; idempotent on its identifier."""
    parse(bundle, "Bundle")
    (sr_index, sr_entry), (task_index, task_entry) = _entries(bundle)
    sr_at, task_at = f"Bundle.entry[{sr_index}]", f"Bundle.entry[{task_index}]"
    resource = parse(sr_entry["resource"], "ServiceRequest", f"{sr_at}.resource")
    task = parse(task_entry["resource"], "Task", f"{task_at}.resource")
    full_url = sr_entry.get("fullUrl")
    if not full_url or (task.get("focus") or {}).get("reference") != full_url:
        raise InvalidResource(
            [
                Problem(
                    f"{task_at}.resource.focus", "The Task's focus is the ServiceRequest's fullUrl."
                )
            ]
        )
    if task.get("status") != "requested" or task.get("intent") != "order":
        raise InvalidResource(
            [
                Problem(
                    f"{task_at}.resource.status",
                    "A new referral's Task is requested, intent order.",
                )
            ]
        )
    key = _key(sr_entry, sr_at)
    existing = Referral.objects.filter(therapist=actor, idempotency_key=key).first()
    if existing is not None and policy.allows(actor, Action.VIEW, existing):
        return Received(existing, created=False)
    client_id = _reference(resource.get("subject"), "Patient", f"{sr_at}.resource.subject")
    performers = resource.get("performer") or [None]
    org_id = _reference(performers[0], "Organization", f"{sr_at}.resource.performer[0]")
    facts, data = _packet(resource, f"{sr_at}.resource")
    try:
        client = client_for(actor, client_id, Action.CHANGE)
    except Http404:
        raise InvalidResource(
            [Problem(f"{sr_at}.resource.subject", "No client of yours has this id.", "not-found")]
        ) from None
    practice = referral_practices().filter(public_id=org_id).first()
    if practice is None:
        raise InvalidResource(
            [
                Problem(
                    f"{sr_at}.resource.performer[0]",
                    "Not a practice that takes referrals through Tandem.",
                    "not-found",
                )
            ]
        )
    try:
        with transaction.atomic():
            referral = actions.start_referral(
                actor=actor,
                client=client,
                to_organisation=practice,
                visit_state=facts["visit_state"],
                payer=facts["payer"],
                plan_type=facts["plan_type"],
                service=facts["service"],
                idempotency_key=key,
            )
            problems = actions.save_draft(actor=actor, referral=referral, data=data)
            if problems:
                raise ValidationError(problems)
            referral = actions.send_referral(actor=actor, referral=referral)
    except (ValidationError, actions.IneligibleError) as error:
        raise _as_problems(error, f"{sr_at}.resource") from None
    return Received(referral, created=True)
