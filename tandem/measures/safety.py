"""The adapter to the collaboration app's safety alerts (``tandem.care.crisis``).

Measures never keeps an alert system of its own: a positive suicide answer is
handed to ``tandem.care.crisis.actions.raise_safety_alert`` with
``source="questionnaire"``. Measures sits above care, so it imports it directly;
this module is the one seam (``_raiser``) its tests replace, and answers "which
alerts are open" for the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from tandem.care.crisis.actions import raise_safety_alert
from tandem.care.crisis.models import AlertSource, AlertStatus, SafetyAlert
from tandem.core.policy import Forbidden

logger = logging.getLogger(__name__)

SOURCE = AlertSource.QUESTIONNAIRE


def _raiser() -> Callable[..., Any]:
    """Return the function that raises a safety alert (the seam the tests replace)."""
    return raise_safety_alert


def raise_alert(
    *, actor: Any, client: Any, level: str, summary: str, steps: str, organisation: Any
) -> Any | None:
    """Raise a questionnaire safety alert through tandem.care; return it, or None if it could not be.

    The call runs in a savepoint: a refusal (say, a client with no care team yet)
    must never lose the response that triggered it. The caller records the outcome.
    """
    raiser = _raiser()
    try:
        with transaction.atomic():
            return raiser(
                actor, client, level, summary, steps, source=SOURCE, organisation=organisation
            )
    except (ValidationError, Forbidden) as refused:
        logger.warning("measures: the safety alert was refused (%s)", type(refused).__name__)
        return None


def open_alert_counts(client_ids: Iterable[int] | Any) -> dict[int, int]:
    """Return {client id: number of safety alerts not yet resolved}, in one query.

    ``client_ids`` may be a list or a queryset of client ids (used as a subquery).
    """
    rows = (
        SafetyAlert.objects.filter(client_id__in=client_ids)
        .exclude(status=AlertStatus.RESOLVED)
        .values("client_id")
        .annotate(n=Count("pk"))
    )
    return {row["client_id"]: row["n"] for row in rows}
