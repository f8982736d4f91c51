"""The referral transaction an EHR sends, as in docs/fhir.md."""

import uuid
from typing import Any

from tandem.fhir import codes


def referral_bundle(client: Any, practice: Any, key: uuid.UUID | None = None) -> dict[str, Any]:
    key = key or uuid.uuid4()
    identifier = f"urn:uuid:{key}"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:4a6e3b52-2d1c-4c1e-9a53-0d3c1f1f0001",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "identifier": [{"system": codes.UUID_IDENTIFIER, "value": identifier}],
                    "extension": [
                        {
                            "url": codes.EXT_ELIGIBILITY,
                            "extension": [
                                {"url": "payer", "valueCode": "commercial"},
                                {"url": "plan-type", "valueCode": "PPO"},
                                {"url": "service", "valueCode": "medication_management"},
                                {"url": "visit-state", "valueCode": "MA"},
                            ],
                        }
                    ],
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{client.public_id}"},
                    "performer": [{"reference": f"Organization/{practice.public_id}"}],
                    "reasonCode": [
                        {
                            "coding": [
                                {"system": codes.REFERRAL_REASON, "code": "treatment_resistant"}
                            ]
                        },
                        {"coding": [{"system": codes.ICD10CM, "code": "F41.1"}]},
                    ],
                    "note": [
                        {"id": "symptoms_tried", "text": "Six months of weekly CBT."},
                        {"id": "treatment_history", "text": "CBT with exposure since spring."},
                    ],
                },
                "request": {
                    "method": "POST",
                    "url": "ServiceRequest",
                    "ifNoneExist": f"identifier={codes.UUID_IDENTIFIER}|{identifier}",
                },
            },
            {
                "fullUrl": "urn:uuid:4a6e3b52-2d1c-4c1e-9a53-0d3c1f1f0002",
                "resource": {
                    "resourceType": "Task",
                    "status": "requested",
                    "intent": "order",
                    "focus": {"reference": "urn:uuid:4a6e3b52-2d1c-4c1e-9a53-0d3c1f1f0001"},
                },
                "request": {"method": "POST", "url": "Task"},
            },
        ],
    }
