"""A completed questionnaire sent in by an EHR: ``POST /fhir/QuestionnaireResponse``.

The response is checked element by element (fhir.resources, then the instrument's own
items and answer values, each bad one named by its FHIRPath), then stored and scored by
the measures app's own action (``measures.actions.record_response``), the one the
clinicians' form uses: a positive safety item raises the same alert to the same people,
and the result is shared with the care team's other practices as consent allows.
Sending the same identifier again (``If-None-Exist``) stores nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tandem.clients.access import client_for, seat
from tandem.core import policy
from tandem.fhir import codes, mapping, more_mapping
from tandem.fhir.auth import Caller
from tandem.fhir.outcome import FHIR_JSON, error, resource_response
from tandem.fhir.selectors import _moment
from tandem.fhir.validation import InvalidResource, Problem, parse
from tandem.fhir.views import _need, fhir_endpoint
from tandem.fhir.views import search as search_view
from tandem.measures import actions as measures
from tandem.measures.access import ENTRY_ROLES
from tandem.measures.instruments import INSTRUMENTS, Instrument, ScoringError
from tandem.measures.models import QuestionnaireResponse, ResponseSource

QR = "QuestionnaireResponse"


@dataclass(frozen=True)
class Received:
    response: QuestionnaireResponse
    created: bool  # False when the identifier names a response already stored


@dataclass(frozen=True)
class _Parsed:
    instrument: Instrument
    client_id: uuid.UUID
    key: str
    answers: list[int | None]
    authored: dt.datetime | None
    item_at: dict[int, int]  # the instrument's item index -> its index in ``item``


@csrf_exempt
def collection(request: HttpRequest, resource_type: str) -> HttpResponse:
    """GET searches QuestionnaireResponse as before; POST creates one."""
    if request.method == "POST":
        return create(request)
    return search_view(request, resource_type=resource_type)


@require_POST
@fhir_endpoint
def create(request: HttpRequest, caller: Caller) -> HttpResponse:
    refused = _need(caller, QR, "write")
    if refused:
        return refused
    if not (request.content_type or "").startswith((FHIR_JSON, "application/json")):
        return error(415, f"Send {FHIR_JSON}.", "not-supported")
    try:
        body = json.loads(request.body)
    except ValueError:
        return error(400, "The body is not JSON.", "structure", QR)
    received = receive_response(
        caller.actor, body, if_none_exist=request.headers.get("If-None-Exist", "")
    )
    response = received.response
    location = request.build_absolute_uri(
        reverse("fhir:questionnaireresponse-read", kwargs={"response_id": response.public_id})
    )
    return resource_response(
        mapping.questionnaire_response(response),
        status=201 if received.created else 200,
        headers={"Location": location},
    )


def receive_response(actor: Any, body: Any, *, if_none_exist: str = "") -> Received:
    """Store and score the QuestionnaireResponse ``body``; return it (the stored one for a repeat).

    Raise InvalidResource naming each bad element, or policy.Forbidden / Http404 when the
    client is not on the caller's care team (answered as 404, as on the pages).
    """
    parsed = _parse(parse(body, QR), if_none_exist)
    client = client_for(actor, parsed.client_id)  # the door: 404 for missing or forbidden
    member = seat(actor, client, ENTRY_ROLES)
    if member is None:
        raise policy.Forbidden("Only the client's care team enters answers.")
    existing = QuestionnaireResponse.objects.filter(
        client=client, idempotency_key=parsed.key
    ).first()
    if existing is not None:
        if existing.organisation_id != member.organisation_id:
            # Another practice's record under the same identifier: never hand it over.
            raise InvalidResource(
                [Problem(f"{QR}.identifier", "This identifier is already used.", "duplicate")]
            )
        return Received(existing, created=False)
    try:
        stored = measures.record_response(
            actor,
            client,
            parsed.instrument,
            parsed.answers,
            source=ResponseSource.EHR,
            idempotency_key=parsed.key,
            organisation=member.organisation,
            entered_at=parsed.authored,
        )
    except ScoringError as problem:
        raise InvalidResource([Problem(_path_of(problem.field, parsed), problem.message)]) from None
    return Received(stored, created=True)


def _path_of(field: str, parsed: _Parsed) -> str:
    """Return the FHIRPath of the item a scorer's ``responses[k]`` names (else the items)."""
    if field.startswith("responses[") and field.endswith("]"):
        index = int(field[len("responses[") : -1])
        if index in parsed.item_at:
            return f"{QR}.item[{parsed.item_at[index]}].answer[0]"
    return f"{QR}.item"


def _instruments() -> dict[str, Instrument]:
    return {more_mapping.questionnaire_url(code): form for code, form in INSTRUMENTS.items()}


def _parse(resource: dict[str, Any], if_none_exist: str) -> _Parsed:
    problems: list[Problem] = []
    if resource.get("status") not in ("completed", "in-progress"):
        problems.append(
            Problem(f"{QR}.status", "Send status completed (or in-progress for a partial one).")
        )
    canonical = str(resource.get("questionnaire", "")).partition("|")[0]
    instrument = _instruments().get(canonical)
    if instrument is None:
        known = ", ".join(sorted(_instruments()))
        problems.append(
            Problem(
                f"{QR}.questionnaire",
                f"Name one of Tandem's questionnaires by its canonical url: {known}.",
                "not-supported",
            )
        )
    elif instrument.needs_sex:
        problems.append(
            Problem(
                f"{QR}.questionnaire",
                f"{instrument.name} is scored by sex; enter it on Tandem's form.",
                "not-supported",
            )
        )
    subject = str((resource.get("subject") or {}).get("reference", ""))
    client_id = _uuid(subject.removeprefix("Patient/")) if subject.startswith("Patient/") else None
    if client_id is None:
        problems.append(Problem(f"{QR}.subject", "Name the client: Patient/<id>.", "required"))
    key = _key(resource, if_none_exist, problems)
    authored = None
    if resource.get("authored"):
        authored = _moment(str(resource["authored"]))
        if authored is None:
            problems.append(
                Problem(f"{QR}.authored", "authored is a day or a date-time: 2026-11-30T15:00Z.")
            )
        elif authored > timezone.now():
            problems.append(Problem(f"{QR}.authored", "authored is in the future."))
    answers: list[int | None] = []
    item_at: dict[int, int] = {}
    if instrument is not None:
        answers, item_at = _answers(instrument, resource.get("item", []), problems)
    if problems or instrument is None or client_id is None:
        raise InvalidResource(problems)
    return _Parsed(instrument, client_id, key, answers, authored, item_at)


def _key(resource: dict[str, Any], if_none_exist: str, problems: list[Problem]) -> str:
    """Return the idempotency key: the uuid of the response's urn:uuid identifier."""
    identifier = resource.get("identifier") or {}
    value = str(identifier.get("value", ""))
    key = _uuid(value.removeprefix("urn:uuid:")) if value.startswith("urn:uuid:") else None
    if identifier.get("system") != codes.UUID_IDENTIFIER or key is None:
        problems.append(
            Problem(
                f"{QR}.identifier",
                f"Give the response an identifier with system {codes.UUID_IDENTIFIER} and a "
                "urn:uuid: value: it makes sending twice store once.",
                "required",
            )
        )
        return ""
    wanted = f"identifier={codes.UUID_IDENTIFIER}|{value}"
    if if_none_exist and if_none_exist != wanted:
        problems.append(
            Problem(
                "If-None-Exist",
                f"Only identifier={codes.UUID_IDENTIFIER}|<the response's urn:uuid identifier> "
                "is supported.",
                "not-supported",
            )
        )
    return str(key)


def _answers(
    instrument: Instrument, items: Any, problems: list[Problem]
) -> tuple[list[int | None], dict[int, int]]:
    """Return one answer per instrument item (None for a blank), naming each bad item."""
    answers: list[int | None] = [None] * len(instrument.items)
    item_at: dict[int, int] = {}
    answer_system = f"{codes.CANONICAL}/CodeSystem/{instrument.code}-answer"
    for at, item in enumerate(items if isinstance(items, list) else []):
        here = f"{QR}.item[{at}]"
        link = str(item.get("linkId", ""))
        index = int(link) - 1 if link.isdigit() else -1
        if not 0 <= index < len(instrument.items):
            problems.append(
                Problem(
                    f"{here}.linkId",
                    f"{instrument.name} has items 1 to {len(instrument.items)}; got {link!r}.",
                )
            )
            continue
        if index in item_at:
            problems.append(Problem(f"{here}.linkId", f"Item {link} is answered twice."))
            continue
        item_at[index] = at
        given = item.get("answer") or []
        if item.get("item"):
            problems.append(Problem(f"{here}.item", "Nested items are not part of this form."))
        if len(given) > 1:
            problems.append(Problem(f"{here}.answer[1]", "One answer per item."))
        if not given:
            continue
        value = _value(given[0], answer_system)
        form_item = instrument.items[index]
        allowed = ", ".join(str(v) for v in form_item.values)
        if value is None or value not in form_item.values:
            shown = "" if value is None else f"; got {value}"
            problems.append(
                Problem(
                    f"{here}.answer[0]",
                    f"{instrument.name} item {form_item.number}: answer with valueInteger (or "
                    f"valueCoding from {answer_system}), one of {allowed}{shown}.",
                )
            )
            continue
        answers[index] = value
    if not instrument.items[-1].scored and answers[-1] is None:
        answers = answers[:-1]  # a recorded-only last item may be left out
    if not problems and all(a is None for a in answers):
        problems.append(Problem(f"{QR}.item", "Answer at least one item.", "required"))
    return answers, item_at


def _value(answer: Any, answer_system: str) -> int | None:
    if not isinstance(answer, dict):
        return None
    number = answer.get("valueInteger")
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    coding = answer.get("valueCoding") or {}
    code = str(coding.get("code", ""))
    if coding.get("system") in (None, answer_system) and code.isdigit():
        return int(code)
    return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
