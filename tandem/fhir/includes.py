"""``_include`` on searches: the resources a page's matches point at, in the same Bundle.

Offered where it is cheap: one more query (and one consent decision over inputs
loaded once) per include type, never per row. Every included resource passes the
same door and consent decision as a read of it, and is audited as a read; one the
caller may not read is simply absent. An ``_include`` not offered for the type is
refused (400, naming ``_include``) rather than silently ignored, so a client never
takes a partial answer for a complete one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tandem.audit.actions import record_many
from tandem.audit.models import AuditAction
from tandem.clients.access import seats
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import mapping, selectors
from tandem.fhir.validation import InvalidResource, Problem
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.models import Referral

Resource = dict[str, Any]
Include = Callable[[Any, list[str]], list[Resource]]
#: The type an _include brings in, and how it fetches them for a page's matches.
Following = tuple[str, Callable[[Any, list[Resource]], list[Resource]]]

_VIA = "fhir-include"


def _ids(resources: list[Resource], element: str, resource_type: str) -> list[str]:
    """Return the ids ``element`` of each resource references, for ``resource_type``, in order."""
    prefix = f"{resource_type}/"
    found = []
    for resource in resources:
        reference = (resource.get(element) or {}).get("reference", "")
        if reference.startswith(prefix) and reference[len(prefix) :] not in found:
            found.append(reference[len(prefix) :])
    return found


def _patients(actor: Any, public_ids: list[str]) -> list[Resource]:
    """The clients among ``public_ids`` that ``actor`` may read (the client door's rule)."""
    clients = list(
        policy.scope(actor, Action.VIEW, Client.objects.filter(public_id__in=public_ids))
    )
    members = seats(actor, [c.pk for c in clients])
    entries = []
    for client in clients:
        member = members.get(client.pk)
        entries.append(
            {
                "actor": actor,
                "action": AuditAction.VIEW,
                "obj": client,
                "client": client,
                "organisation": member.organisation if member else None,
                "actor_role": member.role if member else "",
                "detail": {"via": _VIA},
            }
        )
    record_many(entries)
    return [mapping.patient(c) for c in clients]


def _service_requests(actor: Any, public_ids: list[str]) -> list[Resource]:
    """The referrals among ``public_ids`` that ``actor`` may read, each packet consent-gated."""
    referrals = list(
        policy.scope(actor, Action.VIEW, Referral.objects.filter(public_id__in=public_ids))
        .select_related("client", "therapist", "from_organisation", "to_organisation")
        .order_by("-updated_at", "-pk")
    )
    packets = referral_selectors.packets(actor, referrals)  # accounted as a read would be
    selectors.record_referral_reads(actor, referrals, via=_VIA)
    return [
        mapping.service_request(r, [s.key for s in packets[r.pk] if s.shown]) for r in referrals
    ]


def _following(element: str, target: str, fetch: Include) -> Following:
    def include(actor: Any, matches: list[Resource]) -> list[Resource]:
        ids = _ids(matches, element, target)
        return fetch(actor, ids) if ids else []

    return target, include


#: Resource type -> {_include value -> (the type it includes, how to fetch it)}.
INCLUDES: dict[str, dict[str, Following]] = {
    "ServiceRequest": {"ServiceRequest:patient": _following("subject", "Patient", _patients)},
    "Task": {
        "Task:focus": _following("focus", "ServiceRequest", _service_requests),
        "Task:patient": _following("for", "Patient", _patients),
    },
    "DocumentReference": {
        "DocumentReference:subject": _following("subject", "Patient", _patients),
        "DocumentReference:patient": _following("subject", "Patient", _patients),
    },
}


def targets(resource_type: str, wanted: list[str]) -> list[str]:
    """Return the resource types ``wanted`` would include (the token must be allowed to read each)."""
    return sorted({INCLUDES[resource_type][name][0] for name in wanted})


def parse(resource_type: str, values: list[str]) -> list[str]:
    """Return the ``_include`` values asked for, or raise InvalidResource naming ``_include``."""
    offered = INCLUDES.get(resource_type, {})
    unknown = [v for v in values if v not in offered]
    if unknown:
        choice = ", ".join(sorted(offered)) or "none"
        raise InvalidResource(
            [
                Problem(
                    "_include",
                    f"_include {unknown[0]!r} is not offered for {resource_type} "
                    f"(offered: {choice}).",
                    "not-supported",
                )
            ]
        )
    return list(dict.fromkeys(values))


def resolve(
    actor: Any, resource_type: str, wanted: list[str], matches: list[Resource]
) -> list[Resource]:
    """Return the resources ``wanted`` names for the page's ``matches``, each once."""
    seen = {(r["resourceType"], r["id"]) for r in matches}
    included = []
    for name in wanted:
        for resource in INCLUDES[resource_type][name][1](actor, matches):
            key = (resource["resourceType"], resource["id"])
            if key not in seen:
                seen.add(key)
                included.append(resource)
    return included


def openapi_parameters(resource_type: str) -> list[dict[str, Any]]:
    """Return the ``_include`` query parameter of ``resource_type``'s search, if it offers one."""
    offered = sorted(INCLUDES.get(resource_type, {}))
    if not offered:
        return []
    return [
        {
            "name": "_include",
            "in": "query",
            "required": False,
            "description": "Include what the matches point at (each readable one, once).",
            "schema": {"type": "string", "enum": offered},
        }
    ]
