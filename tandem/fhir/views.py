"""The FHIR REST endpoints: parse, authenticate, check the scope, ask the selectors, answer.

Every error is an OperationOutcome naming the bad element. A missing resource and one
the caller may not see are the same 404, as on the pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.core.policy import Forbidden
from tandem.fhir import capability, includes, mapping, scopes, selectors, task_updates
from tandem.fhir.auth import Caller, Unauthenticated, authenticate
from tandem.fhir.inbound import receive_referral
from tandem.fhir.outcome import FHIR_JSON, error, errors, resource_response
from tandem.fhir.validation import InvalidResource

View = Callable[..., HttpResponse]


def fhir_endpoint(view: View) -> View:
    """Authenticate the bearer token and answer every refusal or bad input as an OperationOutcome."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            caller = authenticate(request)
        except Unauthenticated as problem:
            return error(401, str(problem), "login")
        try:
            return view(request, caller, *args, **kwargs)
        except (Http404, Forbidden):
            return error(404, "No such resource, or not one this client may read.", "not-found")
        except InvalidResource as invalid:
            return errors(400, invalid.problems)

    return wrapper


def _need(caller: Caller, resource_type: str, mode: str) -> HttpResponse | None:
    if scopes.permits(caller.scopes, resource_type, mode, caller.context):
        return None
    return error(
        403,
        f"The access token lacks a scope for this: {caller.context}/{resource_type}.{mode}.",
        "forbidden",
    )


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Return the CapabilityStatement: what this server supports (no token needed)."""
    return resource_response(
        capability.statement(
            request.build_absolute_uri(reverse("fhir:base")),
            request.build_absolute_uri(reverse("fhir:token")),
            authorize_url=request.build_absolute_uri(reverse("fhir:authorize")),
        )
    )


@require_http_methods(["GET", "PUT"])
@fhir_endpoint
def instance(request: HttpRequest, caller: Caller, resource_type: str, **ids: Any) -> HttpResponse:
    """GET reads one resource; PUT updates a Task (the referral moves on), with If-Match."""
    if request.method == "PUT":
        return _update(request, caller, resource_type, next(iter(ids.values())))
    refused = _need(caller, resource_type, "read")
    if refused:
        return refused
    reader = selectors.RESOURCES[resource_type][0]
    resource = reader(caller.actor, next(iter(ids.values())))
    headers = {}
    version = resource.get("meta", {}).get("versionId")
    if version:
        headers["ETag"] = f'W/"{version}"'
    return resource_response(resource, headers=headers)


def _update(
    request: HttpRequest, caller: Caller, resource_type: str, public_id: Any
) -> HttpResponse:
    if resource_type != "Task":
        return error(405, f"{resource_type} is not updated through the API.", "not-supported")
    refused = _need(caller, resource_type, "write")
    if refused:
        return refused
    try:
        body = json.loads(request.body)
    except ValueError:
        return error(400, "The body is not JSON.", "structure", "Task")
    try:
        referral = task_updates.update_task(
            caller.actor, public_id, body, request.headers.get("If-Match", "")
        )
    except task_updates.PreconditionRequired as problem:
        return error(428, str(problem), "required", "If-Match")
    except task_updates.PreconditionFailed as problem:
        return error(412, str(problem), "conflict", "If-Match")
    resource = mapping.task(referral)
    return resource_response(resource, headers={"ETag": f'W/"{referral.version}"'})


@require_GET
@fhir_endpoint
def search(request: HttpRequest, caller: Caller, resource_type: str) -> HttpResponse:
    refused = _need(caller, resource_type, "read")
    if refused:
        return refused
    _, searcher, params = selectors.RESOURCES[resource_type]
    if searcher is None:
        return error(405, f"{resource_type} is read by id only here.", "not-supported")
    asked = request.GET.copy()
    wanted = includes.parse(resource_type, asked.pop("_include", []))
    for included_type in includes.targets(resource_type, wanted):
        refused = _need(caller, included_type, "read")
        if refused:
            return refused
    query = selectors.parse_search(
        asked, params, settings.FHIR_MAX_PAGE_SIZE, settings.FHIR_PAGE_SIZE
    )
    resources, total = searcher(caller.actor, query)
    included = includes.resolve(caller.actor, resource_type, wanted, resources)
    base = request.build_absolute_uri(request.path)
    kept = [(k, v) for k, values in request.GET.lists() if k != "_offset" for v in values]

    def link(relation: str, offset: int) -> dict[str, str]:
        return {"relation": relation, "url": f"{base}?{urlencode([*kept, ('_offset', offset)])}"}

    links = [link("self", query.offset)]
    if query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    root = request.build_absolute_uri(reverse("fhir:base"))
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{root}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
        + [
            {
                "fullUrl": f"{root}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "include"},
            }
            for r in included
        ],
    }
    return resource_response(bundle)


@require_POST
@fhir_endpoint
def transaction(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Take a transaction Bundle: today, a referral sent in (ServiceRequest + Task)."""
    for resource_type in ("ServiceRequest", "Task"):
        refused = _need(caller, resource_type, "write")
        if refused:
            return refused
    if not (request.content_type or "").startswith((FHIR_JSON, "application/json")):
        return error(415, f"Send {FHIR_JSON}.", "not-supported")
    try:
        body = json.loads(request.body)
    except ValueError:
        return error(400, "The body is not JSON.", "structure", "Bundle")
    try:
        received = receive_referral(caller.actor, body)
    except Forbidden:
        return error(
            403, "This client's practice may not refer this client.", "forbidden", "Bundle"
        )
    referral = received.referral
    status = "201 Created" if received.created else "200 OK"
    version = str(referral.version)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {
                "response": {
                    "status": status,
                    "location": f"{kind}/{referral.public_id}/_history/{version}",
                    "etag": f'W/"{version}"',
                    "lastModified": mapping.instant(referral.updated_at),
                }
            }
            for kind in ("ServiceRequest", "Task")
        ],
    }
    return resource_response(bundle, status=200)
