"""The adapter to the collaboration app's safety alerts (``tandem.care``).

Measures never keeps an alert system of its own: a positive suicide answer is
handed to ``raise_safety_alert(actor, client, level, summary, steps,
source="questionnaire")`` as the collaboration app defines it. This module only
finds that function (it lives in ``tandem.care.actions``, or ``tandem.care.crisis``
behind it) and answers "which alerts are open" for the registry, so that the
rest of measures works, and is tested, whether or not collaboration is installed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)

SOURCE = "questionnaire"


def _raiser() -> Callable[..., Any] | None:
    """Return ``raise_safety_alert`` from the collaboration app, or None when it is absent."""
    if not apps.is_installed("tandem.care"):
        return None
    for module in ("tandem.care.actions", "tandem.care.crisis"):
        try:
            found = __import__(module, fromlist=["raise_safety_alert"]).raise_safety_alert
        except (ImportError, AttributeError):
            continue
        return found  # type: ignore[no-any-return,unused-ignore]
    return None


def is_available() -> bool:
    """Return whether safety alerts can be raised in this deployment."""
    return _raiser() is not None


def raise_alert(
    *, actor: Any, client: Any, level: str, summary: str, steps: str, organisation: Any
) -> Any | None:
    """Raise a questionnaire safety alert through tandem.care; return it, or None if it could not be.

    The call runs in a savepoint: a refusal (say, a client with no care team yet)
    must never lose the response that triggered it. The caller records the outcome.
    """
    raiser = _raiser()
    if raiser is None:
        logger.warning("measures: a questionnaire raised a safety flag but tandem.care is absent")
        return None
    kwargs: dict[str, Any] = {"source": SOURCE}
    if "organisation" in inspect.signature(raiser).parameters:
        kwargs["organisation"] = organisation
    try:
        with transaction.atomic():
            return raiser(actor, client, level, summary, steps, **kwargs)
    except (ValidationError, PermissionError) as refused:
        logger.warning("measures: the safety alert was refused (%s)", type(refused).__name__)
        return None


def open_alert_counts(client_ids: Iterable[int] | Any) -> dict[int, int]:
    """Return {client id: number of safety alerts not yet resolved}, in one query.

    ``client_ids`` may be a list or a queryset of client ids (used as a subquery).
    """
    if not apps.is_installed("tandem.care"):
        return {}
    from django.db.models import Count

    from tandem.care.models import AlertStatus, SafetyAlert

    rows = (
        SafetyAlert.objects.filter(client_id__in=client_ids)
        .exclude(status=AlertStatus.RESOLVED)
        .values("client_id")
        .annotate(n=Count("pk"))
    )
    return {row["client_id"]: row["n"] for row in rows}
