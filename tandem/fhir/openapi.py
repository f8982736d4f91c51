"""The OpenAPI description of Tandem's JSON APIs: the FHIR API and the scoring API.

Built from the same tables the views serve from (``selectors.RESOURCES``, the scoring
API's instruments), so a resource type added to the API is described without anyone
remembering to; ``tests/test_openapi.py`` checks that every JSON route is described
and runs schemathesis against this description.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from tandem.fhir import export_openapi, includes, selectors, smart, versions
from tandem.measures.instruments import INSTRUMENTS

_FHIR_JSON = "application/fhir+json"
_SEARCH_DOCS = {
    "patient": "The client: `Patient/<id>` or the bare id.",
    "status": "The resource's status code; several separated by commas.",
    "_lastUpdated": "When it last changed, with a prefix: `ge2026-11-01`, `lt2026-12-01T09:00:00Z`.",
    "date": "The clinical date, with a prefix: `ge2026-11-01`.",
    "effective": "When the change took effect, with a prefix: `ge2026-11-01`.",
    "authored": "When the answers were given, with a prefix: `ge2026-11-01`.",
    "start": "When the slot starts, with a prefix: `ge2026-11-01`, `le2026-11-30`.",
    "schedule": "A prescriber's calendar: `Schedule/<id>` or the bare id.",
    "practitioner": "The prescriber: `Practitioner/<id>` or the bare id.",
    "service-type": "The appointment type's code (`new-eval`), optionally `system|code`.",
    "url": "The questionnaire's canonical url (`http://loinc.org/44249-1`).",
    "code": "The questionnaire's LOINC panel code (`44249-1`), optionally `system|code`.",
    "sent": "When the message was sent, with a prefix: `ge2026-11-01`.",
    "type": (
        "DocumentReference: `http://loinc.org|59284-0` for signed releases, "
        "`http://loinc.org|11488-4` for consult notes; without it, consult notes only."
    ),
}


def _resource(description: str = "A FHIR R4 resource.") -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}},
    }


def _fhir(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {_FHIR_JSON: {"schema": schema or {"$ref": "#/components/schemas/Resource"}}},
    }


_OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}
_ERRORS = {
    "400": _fhir("A bad parameter or body; each issue names the element.", _OUTCOME),
    "401": _fhir("No token, or an unknown or expired one.", _OUTCOME),
    "403": _fhir("The token lacks the scope.", _OUTCOME),
    "404": _fhir("No such resource, or not one this client may read.", _OUTCOME),
}


def _id_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def _fhir_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/fhir/metadata": {
            "get": {
                "summary": "The CapabilityStatement",
                "security": [],
                "tags": ["FHIR"],
                "responses": {"200": _fhir("What this server supports.")},
            }
        },
        "/fhir/auth/token": {
            "post": {
                "summary": "An access token (client credentials; authorization code + PKCE)",
                "security": [{"clientCredentials": []}],
                "tags": ["FHIR"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["grant_type"],
                                "properties": {
                                    "grant_type": {
                                        "type": "string",
                                        "enum": [
                                            "client_credentials",
                                            "authorization_code",
                                            "refresh_token",
                                        ],
                                    },
                                    "scope": {"type": "string"},
                                    **smart.TOKEN_FIELDS,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "The token.", "content": {"application/json": {}}},
                    "400": {
                        "description": "A bad request or scope.",
                        "content": {"application/json": {}},
                    },
                    "401": {"description": "Unknown client.", "content": {"application/json": {}}},
                },
            }
        },
        "/fhir/": {
            "post": {
                "summary": "A transaction Bundle: a referral sent in (ServiceRequest + Task)",
                "tags": ["FHIR"],
                "requestBody": {
                    "required": True,
                    "content": {_FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
                },
                "responses": {
                    "200": _fhir("The transaction-response Bundle."),
                    "415": _fhir("Not application/fhir+json.", _OUTCOME),
                    **_ERRORS,
                },
            }
        },
    }
    for resource_type, (_, searcher, params) in selectors.RESOURCES.items():
        if searcher is not None:
            parameters = [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": _SEARCH_DOCS[name],
                    "schema": {"type": "string"},
                }
                for name in sorted(params)
            ] + [
                {
                    "name": "_count",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                },
                {
                    "name": "_offset",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0},
                },
            ]
            parameters += includes.openapi_parameters(resource_type)
            paths[f"/fhir/{resource_type}"] = {
                "get": {
                    "summary": f"Search {resource_type}",
                    "tags": ["FHIR"],
                    "parameters": parameters,
                    "responses": {"200": _fhir("A searchset Bundle."), **_ERRORS},
                }
            }
        else:
            paths[f"/fhir/{resource_type}"] = {
                "get": {
                    "summary": f"{resource_type} is read by id only (no search)",
                    "tags": ["FHIR"],
                    "responses": {
                        "405": _fhir("Search is not offered for this type.", _OUTCOME),
                        **_ERRORS,
                    },
                }
            }
        item: dict[str, Any] = {
            "parameters": [_id_param("id")],
            "get": {
                "summary": f"Read a {resource_type}",
                "tags": ["FHIR"],
                "responses": {
                    "200": _fhir(f"The {resource_type}, with an ETag where it is versioned."),
                    **_ERRORS,
                },
            },
        }
        if resource_type == "Task":
            item["put"] = {
                "summary": "Move the referral on (If-Match the version read)",
                "tags": ["FHIR"],
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {_FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
                },
                "responses": {
                    "200": _fhir("The Task as it is now."),
                    "412": _fhir("Changed since your read.", _OUTCOME),
                    "428": _fhir("No If-Match.", _OUTCOME),
                    **_ERRORS,
                },
            }
        if resource_type == "QuestionnaireResponse":
            paths[f"/fhir/{resource_type}"]["post"] = {
                "summary": "Submit a completed questionnaire (If-None-Exist on its identifier)",
                "tags": ["FHIR"],
                "parameters": [
                    {
                        "name": "If-None-Exist",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {_FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
                },
                "responses": {
                    "200": _fhir("Already stored under that identifier: the stored one."),
                    "201": _fhir("Stored and scored; Location names it."),
                    "415": _fhir("Not application/fhir+json.", _OUTCOME),
                    **_ERRORS,
                },
            }
        paths[f"/fhir/{resource_type}/{{id}}"] = item
    paths.update(export_openapi.paths())
    paths.update(versions.openapi_paths(_fhir, _id_param, _ERRORS))
    return paths


def _scoring_paths() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["error", "field"],
        "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
    }

    def json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    too_many = json("Too many requests from this address (Retry-After says when to retry).", error)
    return {
        "/api/v1/instruments": {
            "get": {
                "summary": "Every instrument with its items, options, licence and source",
                "security": [],
                "tags": ["Scoring"],
                "responses": {
                    "200": json(
                        "The instruments.",
                        {
                            "type": "object",
                            "required": ["instruments"],
                            "properties": {
                                "instruments": {"type": "array", "items": {"type": "object"}}
                            },
                        },
                    ),
                    "429": too_many,
                },
            }
        },
        "/api/v1/instruments/{instrument_code}/score": {
            "parameters": [
                {
                    "name": "instrument_code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": sorted(INSTRUMENTS)},
                }
            ],
            "post": {
                "summary": "Score a questionnaire's answers (nothing is stored)",
                "security": [],
                "tags": ["Scoring"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["responses"],
                                "properties": {
                                    "responses": {
                                        "type": "array",
                                        "items": {"type": ["integer", "null"]},
                                    },
                                    "sex": {"type": "string", "enum": ["female", "male"]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": json("The total, band and flags.", {"type": "object"}),
                    "400": json("Bad answers; `field` names the one at fault.", error),
                    "429": too_many,
                },
            },
        },
    }


def description() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of the FHIR and scoring APIs."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tandem JSON APIs",
            "version": "1",
            "description": (
                "The FHIR R4 API (docs/fhir.md) and the stateless instrument-scoring API. "
                "FHIR resources are described by their type only; their shape is FHIR R4's."
            ),
        },
        "paths": {
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "security": [],
                    "responses": {
                        "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
                    },
                }
            },
            **_fhir_paths(),
            **smart.openapi_paths(),
            **_scoring_paths(),
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "clientCredentials": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Resource": _resource(),
                "OperationOutcome": _resource("Every error: issues naming the element at fault."),
            },
        },
    }


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    """Serve the description (no sign-in: it describes, it discloses nothing)."""
    return JsonResponse(description())
