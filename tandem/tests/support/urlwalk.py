"""Walk every URL pattern that takes an object id and try to reach the object as the wrong person.

The list of URLs comes from the URL conf itself, so a view added tomorrow is
probed tomorrow without anyone remembering to add a test. For each pattern
with path arguments, each argument is looked up in
``tandem.tests.support.url_objects.REGISTRY``, a real object is built in a
practice the probing users do not belong to, and every probing user asks for
it with GET and POST. Each must be refused (404, 403, 405, or a redirect to
sign-in or to MFA enrolment) and never see the object's identifying values.
One user who may reach the object must get through, so the walk cannot pass
by refusing everyone; when the object is clinical data, that user's read must
add an event to the audit trail. The page that user got is kept in the report
(``Report.pages``), so checks of every page's HTML read it without rendering
every page a second time.

The FHIR API (``/fhir/``) takes bearer tokens, not sessions, so there every
prober who works in a practice calls with a token of a system client of their
own practice (and an outsider's SMART app calls too) and must get 404 (405 for
a method the route does not take); a visitor and a client send no token and
must get 401. The allowed side calls with a real token too: a system client of
the allowed user's practice (the very one that owns the object, for an export
job), and, for an object of the practice rather than of one system, an app
acting for that user. Each must get 200 with the object in the answer, audited.

``walk()`` returns a report rather than asserting, so the test of the test can
run it against a URL conf with a deliberately unprotected view and check that
exactly that view is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from tandem.core.roles import Role
from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.url_objects import NOT_OBJECT_IDS, REGISTRY, Target

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

REGISTRY_MODULE = "tandem/tests/support/url_objects.py"

#: Where a refused visitor may be sent instead of a 404: sign-in, or MFA enrolment for staff.
_REFUSAL_REDIRECTS = ("/accounts/login/", "/accounts/2fa/totp/activate/", "/django-admin/login/")
_REFUSAL_STATUSES = (403, 404, 405)
#: The FHIR API takes bearer tokens, not sessions: without one it answers 401.
_FHIR_PREFIX = "/fhir/"

#: Who probes every object, besides the object's own care-team member without MFA.
PROBERS = (
    "outsider therapist with MFA",
    "outsider prescriber with MFA",
    "coordinator of another practice",
    "practice admin of another practice",
    "client",
    "anonymous visitor",
)
NO_MFA_INSIDER = "care-team member without MFA"
#: Who else probes a FHIR URL: a SMART app acting for the outsider therapist (a user token).
OUTSIDER_APP = "app acting for an outsider therapist"
#: FHIR refusals: with a token, the object is not found (or the method is not taken);
#: without one, the caller is not known.
_FHIR_REFUSED_WITH_TOKEN = (404, 405)
_FHIR_REFUSED_WITHOUT_TOKEN = (401, 405)

#: Ids that name a practice's own set-up, not a client: reading them writes no audit event.
#: (Pages under them that list clients, the calendar and booking for a client, record those
#: reads themselves when a client is shown; their apps' tests check it.) Every other id names
#: clinical data, and the allowed user's read of it must add an audit event.
NO_CLIENT_DATA_IDS = frozenset({"org_id", "invitation_token", "appointment_type_id"})
#: The FHIR Slot and Schedule: a practice's calendar set-up (open times), no client in it.
NO_CLIENT_DATA_IDS |= {"slot_id", "schedule_id"}
#: Routes whose answer names no client though their id may: a bulk export's status (the
#: job's progress and the types and counts of its files; downloading a file is audited).
NO_CLIENT_DATA_ROUTES = frozenset({"fhir:export-status"})


@dataclass(frozen=True)
class Route:
    """One URL pattern, flattened out of its includes."""

    namespace: str  # e.g. "clients" ("" for none)
    name: str  # namespaced, e.g. "clients:detail" ("" when the pattern has no name)
    route: str  # e.g. "clients/<uuid:client_id>/"
    kwargs: tuple[str, ...]  # path arguments in the order they appear
    callback: Any

    @property
    def label(self) -> str:
        return self.name or self.route

    @property
    def module(self) -> str:
        return str(getattr(self.callback, "__module__", ""))


@dataclass(frozen=True)
class Finding:
    """A probe that got further than it should have (or an allowed user who was refused)."""

    route: str
    who: str
    method: str
    problem: str

    def __str__(self) -> str:
        return f"{self.route}: {self.who} {self.method} → {self.problem}"


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)  # route names probed
    skipped: dict[str, str] = field(default_factory=dict)  # route → why it was not probed
    unregistered: list[str] = field(default_factory=list)  # instructions for the developer
    findings: list[Finding] = field(default_factory=list)
    #: route name → the HTML the allowed user got on GET, for the routes that answered with a page
    pages: dict[str, str] = field(default_factory=dict)

    @property
    def leaking_routes(self) -> set[str]:
        return {f.route for f in self.findings}


def routes(urlconf: str | None = None) -> list[Route]:
    """Return every URL pattern of ``urlconf`` (the project's by default), includes flattened."""
    return list(_flatten(get_resolver(urlconf), prefix="", namespaces=(), outer=()))


def _flatten(
    resolver: URLResolver, prefix: str, namespaces: tuple[str, ...], outer: tuple[str, ...]
) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _flatten(
                entry, prefix + str(entry.pattern), inner, (*outer, *_arguments(entry.pattern))
            )
        elif isinstance(entry, URLPattern):
            namespace = ":".join(namespaces)
            yield Route(
                namespace=namespace,
                name=f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or "",
                route=prefix + str(entry.pattern),
                kwargs=tuple(dict.fromkeys((*outer, *_arguments(entry.pattern)))),
                callback=entry.callback,
            )


def _arguments(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def walk(urlconf: str | None = None, *, only: Callable[[Route], bool] | None = None) -> Report:
    """Probe every URL pattern of ``urlconf`` that takes an object id; return what leaked.

    With ``only``, the patterns it refuses are left out of the walk and of the report.
    """
    report = Report()
    with override_settings(ROOT_URLCONF=urlconf) if urlconf else nullcontext():
        probers = _probers()
        tokens = _Tokens()
        for route in routes(urlconf):
            if only is not None and not only(route):
                continue
            reason = skip_reason(route)
            if reason:
                report.skipped[route.label] = reason
                continue
            problem = _registration_problem(route)
            if problem:
                report.unregistered.append(problem)
                continue
            _probe(route, probers, urlconf, report, tokens)
            report.checked.append(route.label)
    return report


def skip_reason(route: Route) -> str:
    """Return why ``route`` needs no probing, or "" when it must be probed."""
    if not route.kwargs:
        return "takes no object id"
    if route.namespace == "admin" and not _tandem_model_in_admin(route):
        return "Django admin, showing no Tandem model (staff only, behind admin_view)"
    if route.module.startswith("allauth."):
        return "allauth's own URL (its ids are the signed-in user's own keys and devices)"
    if all(k in NOT_OBJECT_IDS for k in route.kwargs):
        return "; ".join(NOT_OBJECT_IDS[k][0] for k in route.kwargs)
    return ""


def _tandem_model_in_admin(route: Route) -> str:
    model_admin = getattr(route.callback, "model_admin", None)
    if model_admin is None or not model_admin.model.__module__.startswith("tandem."):
        return ""
    return str(model_admin.model._meta.label_lower)


def _registration_problem(route: Route) -> str:
    """Return what the developer must do before ``route`` can be probed, or ""."""
    model = _tandem_model_in_admin(route)
    if model:
        return (
            f"{route.label} ({route.route}) shows the Tandem model {model} in the Django admin, "
            "which bypasses the access policy and the audit trail: keep Tandem models out of "
            "the admin, or teach the URL walk to probe it"
        )
    if not route.name:
        return f"{route.route} takes an object id but has no name: name the URL pattern"
    missing = [k for k in route.kwargs if k not in REGISTRY and k not in NOT_OBJECT_IDS]
    if missing:
        return (
            f"{route.label} ({route.route}) takes <{missing[0]}>, which the URL walk does not "
            f"know: register a factory for {missing[0]!r} in {REGISTRY_MODULE} that builds the "
            "object in a practice the probing users do not belong to"
        )
    return ""


def _probers() -> dict[str, Any]:
    """Return the people who probe every object (none of them has any right to it)."""
    from tandem.core.tests.factories import ClientFactory, UserFactory, make_staff

    client_user = UserFactory()
    ClientFactory(user=client_user)
    return {
        "outsider therapist with MFA": make_staff(Role.THERAPIST),
        "outsider prescriber with MFA": make_staff(Role.PRESCRIBER),
        "coordinator of another practice": make_staff(Role.COORDINATOR),
        "practice admin of another practice": make_staff(Role.PRACTICE_ADMIN),
        "client": client_user,
        "anonymous visitor": None,
    }


class _Tokens:
    """Bearer tokens the probers hold, got once per walk (each is a real OAuth exchange)."""

    def __init__(self) -> None:
        self._system: dict[int, dict[str, str]] = {}
        self._app: dict[int, dict[str, str]] = {}

    def system(self, user: Any) -> dict[str, str]:
        """Return the header of a system client of ``user``'s practice (none for a visitor)."""
        from tandem.fhir.tests.factories import system_client, token_for

        if user is None or not user.memberships.exists():
            return {}  # a visitor, or a client (who works in no practice): no system client
        if user.pk not in self._system:
            token = token_for(system_client(user, scopes="system/*.read system/*.write"))
            self._system[user.pk] = _bearer(token)
        return self._system[user.pk]

    def app(self, user: Any) -> dict[str, str]:
        """Return the header of a SMART app of ``user``'s practice acting for ``user``."""
        from tandem.fhir.tests.factories import app_token_for

        if user.pk not in self._app:
            self._app[user.pk] = _bearer(app_token_for(user))
        return self._app[user.pk]


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _probe(
    route: Route, probers: dict[str, Any], urlconf: str | None, report: Report, tokens: _Tokens
) -> None:
    built: dict[str, Target] = {}
    for kwarg in route.kwargs:
        if kwarg in REGISTRY:
            built[kwarg] = REGISTRY[kwarg](built)
    target = list(built.values())[-1]
    # A target may give the value of an argument that names no object (a version it has).
    values = {
        k: target.objects.get(k, NOT_OBJECT_IDS[k][1]) for k in route.kwargs if k not in built
    }
    values |= {k: t.value for k, t in built.items()}
    url = reverse(route.name, kwargs=values, urlconf=urlconf)
    secrets = [s for t in built.values() for s in t.secrets]
    fhir = url.startswith(_FHIR_PREFIX)
    for who, user in {**probers, NO_MFA_INSIDER: target.insider_without_mfa}.items():
        for method in ("GET", "POST"):
            headers = tokens.system(user) if fhir else {}
            problem = _refusal_problem(_request(user, method, url, headers), secrets)
            if problem:
                report.findings.append(Finding(route.label, who, method, problem))
    if fhir:
        outsider_app = tokens.app(probers["outsider therapist with MFA"])
        for method in ("GET", "POST"):
            problem = _refusal_problem(_request(None, method, url, outsider_app), secrets)
            if problem:
                report.findings.append(Finding(route.label, OUTSIDER_APP, method, problem))
    # Last, because getting through may change the object (a POST that revokes, say).
    allowed = _allowed(route, target)
    clinical = route.name not in NO_CLIENT_DATA_ROUTES and any(
        kwarg not in NO_CLIENT_DATA_IDS for kwarg in built
    )
    if fhir:
        problem = _fhir_reached_problem(allowed, url, target, tokens, clinical=clinical)
        if problem:
            report.findings.append(Finding(route.label, "allowed user", "GET", problem))
        return
    problem, page = _reached_problem(allowed, url, target.secrets, clinical=clinical)
    if page is not None:
        report.pages[route.label] = page
    if problem:
        report.findings.append(Finding(route.label, "allowed user", "GET/POST", problem))


def _allowed(route: Route, target: Target) -> Any:
    """Return who may reach ``target`` through ``route``.

    A FHIR vread or history names the same resource as its read: whoever may read it.
    """
    by_route = target.allowed_by_route
    read = re.sub(r"-(vread|history)$", "-read", route.name)
    return by_route.get(route.name, by_route.get(read, target.allowed))


def _request(
    user: Any, method: str, url: str, headers: dict[str, str] | None = None
) -> _MonkeyPatchedWSGIResponse:
    http = HttpClient()
    if url.startswith(_FHIR_PREFIX):
        return http.generic(method, url, **(headers or {}))
    if user is not None:
        http.force_login(user)
    return http.generic(method, url)


def _is_redirect(response: _MonkeyPatchedWSGIResponse) -> bool:
    return response.status_code in (301, 302, 303, 307, 308)


def _refusal_problem(response: _MonkeyPatchedWSGIResponse, secrets: list[str]) -> str:
    """Return how ``response`` fails to refuse the visitor, or "" when it refuses them."""
    body = response.content.decode(errors="replace")
    shown = [s for s in secrets if s in body]
    if shown:
        return f"status {response.status_code} and the page shows {', '.join(shown)}"
    if response.request["PATH_INFO"].startswith(_FHIR_PREFIX):
        with_token = "HTTP_AUTHORIZATION" in response.request
        refused = _FHIR_REFUSED_WITH_TOKEN if with_token else _FHIR_REFUSED_WITHOUT_TOKEN
        if response.status_code in refused:
            return ""
        expected = " or ".join(str(code) for code in refused)
        token = "a token of a practice without a right" if with_token else "no token"
        return f"status {response.status_code} with {token} instead of {expected}"
    if response.status_code in _REFUSAL_STATUSES:
        return ""
    if _is_redirect(response):
        location = response.headers.get("Location", "")
        if location.startswith(_REFUSAL_REDIRECTS):
            return ""
        return f"redirected to {location} instead of being refused"
    return f"status {response.status_code} instead of 404 or 403"


def _reached_problem(
    user: Any, url: str, secrets: list[str], *, clinical: bool
) -> tuple[str, str | None]:
    """Return why the allowed user did not get through (or read unaudited), or "" when fine.

    And the page the user got: its HTML when a GET answered 200 with HTML, else None.
    """
    from tandem.audit.models import AuditEvent  # deferred: the walk's names load without apps

    method = "GET"
    http = HttpClient()
    http.force_login(user)  # signing in writes audit events of its own: count after it
    events_before = AuditEvent.objects.count()
    response = http.get(url)
    if response.status_code == 405:
        method = "POST"
        response = _request(user, method, url)
    code = response.status_code
    if code in _REFUSAL_STATUSES or code >= 500:
        return f"the allowed user got status {code} on {method}", None
    if _is_redirect(response):
        location = response.headers.get("Location", "")
        if location.startswith(_REFUSAL_REDIRECTS):
            return f"the allowed user was sent to {location}", None
        return "", None
    body = response.content.decode(errors="replace")
    is_page = response.headers.get("Content-Type", "").startswith("text/html")
    page = body if method == "GET" and code == 200 and is_page else None
    if method == "GET" and is_page and not any(s in body for s in secrets):
        return "the allowed user's page shows none of the object's identifying values", page
    if clinical and method == "GET" and code == 200 and AuditEvent.objects.count() == events_before:
        return "the allowed user read the object and no audit event was written", page
    return "", page


def _fhir_reached_problem(
    user: Any, url: str, target: Target, tokens: _Tokens, *, clinical: bool
) -> str:
    """Return why the allowed user's FHIR clients did not get through, or "" when both did.

    The system client is the one that owns the object when it has one (an export job is
    its requester's alone); otherwise one of the user's practice, and an app acting for
    the user reads it too.
    """
    from tandem.audit.models import AuditEvent
    from tandem.fhir.tests.factories import token_for

    owner = target.objects.get("system_client")
    callers = {"system client": _bearer(token_for(owner)) if owner else tokens.system(user)}
    if owner is None:
        callers["app acting for them"] = tokens.app(user)
    for caller, headers in callers.items():
        events_before = AuditEvent.objects.count()
        response = HttpClient().get(url, **headers)
        code = response.status_code
        if code != 200:
            return f"the allowed user's {caller} got status {code} on GET"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        if str(target.value) not in text and not any(s in text for s in target.secrets):
            return f"the allowed user's {caller} got an answer showing none of the object"
        if clinical and AuditEvent.objects.count() == events_before:
            return f"the allowed user's {caller} read the object and no audit event was written"
    return ""
