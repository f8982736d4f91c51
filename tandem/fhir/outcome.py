"""OperationOutcome: how every FHIR error is answered, naming the bad element's path."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from tandem.fhir.validation import Problem

FHIR_JSON = "application/fhir+json"


def resource_response(
    resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource), status=status, content_type=f"{FHIR_JSON}; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(problems: list[Problem], severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": severity,
                "code": p.code,
                "diagnostics": p.message,
                **({"expression": [p.path]} if p.path else {}),
            }
            for p in problems
        ],
    }


def error(status: int, message: str, code: str, path: str = "") -> HttpResponse:
    return errors(status, [Problem(path, message, code)])


def errors(status: int, problems: list[Problem]) -> HttpResponse:
    response = resource_response(operation_outcome(problems), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response
