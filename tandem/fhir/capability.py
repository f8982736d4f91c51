"""The CapabilityStatement at /fhir/metadata: what this server does, read off the selectors."""

from __future__ import annotations

from typing import Any

from tandem.fhir import includes, selectors, versions

FHIR_VERSION = "4.0.1"
_PARAM_TYPES = {"patient": "reference", "status": "token"}
_PARAM_TYPES |= {"schedule": "reference", "practitioner": "reference", "service-type": "token"}
_PARAM_TYPES |= {"url": "uri", "code": "token"}
_PARAM_TYPES |= {"type": "token"}
#: What a parameter does where its name alone does not say it.
_PARAM_DOCS = {
    ("DocumentReference", "type"): (
        "http://loinc.org|59284-0: signed releases (consent documents) only; "
        "http://loinc.org|11488-4: consult notes only. Without type: consult notes only."
    ),
}


def statement(base_url: str, token_url: str, authorize_url: str = "") -> dict[str, Any]:
    resources = []
    for resource_type, (_, searcher, params) in selectors.RESOURCES.items():
        interactions = [{"code": "read"}]
        if searcher is not None:
            interactions.append({"code": "search-type"})
        entry: dict[str, Any] = {"type": resource_type, "interaction": interactions}
        if searcher is not None:
            entry["searchParam"] = [
                {"name": name, "type": _PARAM_TYPES.get(name, "date")}
                | (
                    {"documentation": _PARAM_DOCS[resource_type, name]}
                    if (resource_type, name) in _PARAM_DOCS
                    else {}
                )
                for name in sorted(params)
            ] + [{"name": "_count", "type": "number"}]
        if resource_type == "Task":
            interactions.append({"code": "update"})
            entry["versioning"] = "versioned-update"
        if resource_type in ("ServiceRequest", "Task"):
            entry["conditionalCreate"] = True
        versions.capability(resource_type, entry)
        if resource_type in includes.INCLUDES:
            entry["searchInclude"] = sorted(includes.INCLUDES[resource_type])
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
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [_oauth_uris(token_url, authorize_url)],
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
                        "(system/*.read, system/ServiceRequest.write, ...); apps acting for a "
                        "signed-in person: authorization code with PKCE (S256), user/ scopes."
                    ),
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                    }
                ],
            }
        ],
    }


def _oauth_uris(token_url: str, authorize_url: str) -> dict[str, Any]:
    """Return SMART's oauth-uris extension: where apps authorize and get tokens."""
    uris = [{"url": "token", "valueUri": token_url}]
    if authorize_url:
        uris.append({"url": "authorize", "valueUri": authorize_url})
    return {
        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
        "extension": uris,
    }
