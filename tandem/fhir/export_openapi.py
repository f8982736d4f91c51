"""The OpenAPI description of the bulk ``$export`` routes (merged by ``openapi.description``)."""

from __future__ import annotations

from typing import Any

from tandem.fhir.export import EXPORT_TYPES

_OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}


def _outcome(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/fhir+json": {"schema": _OUTCOME}}}


_REFUSED = {
    "401": _outcome("No token, or an unknown or expired one."),
    "404": _outcome("No such export, or not this client's (the two look the same)."),
}
_JOB = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def paths() -> dict[str, Any]:
    """Return the kick-off, status and file routes of a bulk export."""
    query = [
        {
            "name": "_type",
            "in": "query",
            "required": False,
            "description": f"Types to export, comma-separated: {', '.join(EXPORT_TYPES)}.",
            "schema": {"type": "string"},
        },
        {
            "name": "_since",
            "in": "query",
            "required": False,
            "description": "Only what changed at or after this instant (with its zone).",
            "schema": {"type": "string", "format": "date-time"},
        },
        {
            "name": "_outputFormat",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["application/fhir+ndjson"]},
        },
        {
            "name": "Prefer",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": ["respond-async"]},
        },
    ]
    return {
        "/fhir/$export": {
            "get": {
                "summary": "Start a bulk export of the practice's own data (FHIR Bulk Data)",
                "tags": ["FHIR"],
                "parameters": query,
                "responses": {
                    "202": {
                        "description": "Queued; poll the Content-Location.",
                        "headers": {"Content-Location": {"schema": {"type": "string"}}},
                        "content": {"application/fhir+json": {"schema": _OUTCOME}},
                    },
                    "400": _outcome("No Prefer: respond-async, or a bad parameter (named)."),
                    "403": _outcome("The token lacks a read scope for a type asked."),
                    "429": _outcome("This client already has an export queued or running."),
                    **_REFUSED,
                },
            }
        },
        "/fhir/bulk-status/{id}": {
            "parameters": [_JOB],
            "get": {
                "summary": "An export's status: in progress, or its manifest",
                "tags": ["FHIR"],
                "responses": {
                    "200": {
                        "description": "Done: the manifest, one file per type.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["transactionTime", "request", "output"],
                                }
                            }
                        },
                    },
                    "202": {
                        "description": "Still running (X-Progress says how far).",
                        "headers": {"X-Progress": {"schema": {"type": "string"}}},
                    },
                    "500": _outcome("The export failed; start a new one."),
                    **_REFUSED,
                },
            },
            "delete": {
                "summary": "Cancel an export, or delete a finished one's files",
                "tags": ["FHIR"],
                "responses": {"202": _outcome("Cancelled."), **_REFUSED},
            },
        },
        "/fhir/bulk-files/{id}/{resource_type}": {
            "parameters": [
                _JOB,
                {
                    "name": "resource_type",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(EXPORT_TYPES)},
                },
            ],
            "get": {
                "summary": "Download one type's file of a finished export (ndjson)",
                "tags": ["FHIR"],
                "responses": {
                    "200": {
                        "description": "One resource per line.",
                        "content": {"application/fhir+ndjson": {}},
                    },
                    "403": _outcome("The token lacks the type's read scope."),
                    **_REFUSED,
                },
            },
        },
    }
