"""The adapter to the collaboration app's safety alerts (``tandem.care.crisis``).

Measures never keeps an alert system of its own: a positive suicide answer is
handed to ``tandem.care.crisis.actions.raise_safety_alert`` with
``source="questionnaire"``. Measures sits above care, so it imports it directly;
this module is the one seam (``_raiser``) its tests replace. (The registry counts a
caseload's open alerts in ``registry_sql.open_alert_counts``.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.care.crisis.actions import raise_safety_alert
from tandem.care.crisis.models import AlertSource
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
