"""The CapabilityStatement at /fhir/metadata: what this server does, read off the selectors."""

from __future__ import annotations

from typing import Any

from tandem.fhir import selectors

FHIR_VERSION = "4.0.1"
_PARAM_TYPES = {"patient": "reference", "status": "token"}
_PARAM_TYPES |= {"schedule": "reference", "practitioner": "reference", "service-type": "token"}
_PARAM_TYPES |= {"url": "uri", "code": "token"}


def statement(base_url: str, token_url: str) -> dict[str, Any]:
    resources = []
    for resource_type, (_, searcher, params) in selectors.RESOURCES.items():
        interactions = [{"code": "read"}]
        if searcher is not None:
            interactions.append({"code": "search-type"})
        entry: dict[str, Any] = {"type": resource_type, "interaction": interactions}
        if searcher is not None:
            entry["searchParam"] = [
                {"name": name, "type": _PARAM_TYPES.get(name, "date")} for name in sorted(params)
            ] + [{"name": "_count", "type": "number"}]
        if resource_type == "Task":
            interactions.append({"code": "update"})
            entry["versioning"] = "versioned-update"
        if resource_type in ("ServiceRequest", "Task"):
            entry["conditionalCreate"] = True
        if resource_type == "QuestionnaireResponse":
            interactions.append({"code": "create"})
            entry["conditionalCreate"] = True
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-03",
        "kind": "instance",
        "software": {"name": "Tandem"},
        "implementation": {"description": "Tandem FHIR API", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": (
                        f"OAuth 2.0 client credentials at {token_url}, with SMART system scopes "
                        "(system/*.read, system/ServiceRequest.write, ...)."
                    ),
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}],
            }
        ],
    }
