"""SMART-style scopes: ``system/ServiceRequest.read``, ``system/*.read``, ``user/Task.write``.

The OAuth server grants a system client no more than its ``SystemClient.scopes``
and an app acting for a person no more than its ``UserApp.scopes``
(``SystemClientScopes``, django-oauth-toolkit's scopes backend); each interaction
then asks ``permits`` for the one it needs, in the token's context (``system`` or
``user``): a ``user/`` scope never stands in for a ``system/`` one, nor the reverse.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

RESOURCE_TYPES = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "ServiceRequest",
    "Task",
    "Consent",
    "DocumentReference",
    "Appointment",
    "MedicationStatement",
    "QuestionnaireResponse",
    "Observation",
    "Slot",
    "Schedule",
    "Questionnaire",
    "Communication",
    "AuditEvent",
)
MODES = ("read", "write")


def all_scopes() -> dict[str, str]:
    """Return every scope Tandem knows, with a description (for the token endpoint)."""
    out = {}
    for context in ("system", "user"):
        for mode in ("read", "write", "*"):
            out[f"{context}/*.{mode}"] = f"{mode} every resource type ({context})"
            for resource in RESOURCE_TYPES:
                out[f"{context}/{resource}.{mode}"] = f"{mode} {resource} ({context})"
    return out


def permits(granted: str, resource_type: str, mode: str, context: str = "system") -> bool:
    """Return whether the space-separated ``granted`` scopes allow ``mode`` on ``resource_type``."""
    wanted = {f"{context}/{t}.{m}" for t in (resource_type, "*") for m in (mode, "*")}
    return bool(wanted & set(granted.split()))


def covers(granted: str, scope: str) -> bool:
    """Return whether ``granted`` includes everything ``scope`` asks (``system/Task.*``, ...)."""
    context, _, rest = scope.partition("/")
    resource, _, mode = rest.rpartition(".")
    types = RESOURCE_TYPES if resource == "*" else (resource,)
    modes = MODES if mode == "*" else (mode,)
    return all(permits(granted, t, m, context) for t in types for m in modes)


def _given(application: Any) -> str:
    """Return the scopes the practice's admin gave ``application`` (a system client or a user app)."""
    for kind in ("system_client", "user_app"):
        bound = getattr(application, kind, None)
        if bound is not None:
            return str(bound.scopes) if bound.is_active else ""
    return ""


class SystemClientScopes(BaseScopes):
    """What a system client or a user app may be granted: the scopes its practice's admin gave it."""

    def get_all_scopes(self) -> dict[str, str]:
        return all_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        given = _given(application)
        return [scope for scope in all_scopes() if given and covers(given, scope)]

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return _given(application).split()
