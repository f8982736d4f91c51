"""Synthetic measurement worlds for tests: every name and number is invented."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from tandem.consent.categories import Category
from tandem.consent.tests.factories import World
from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team
from tandem.measures import actions
from tandem.measures.models import QuestionnaireResponse, ResponseSource


class MeasuresWorld(World):
    """A client with a therapist (therapy practice) and a prescriber (psychiatric practice)."""

    def __init__(self, client_user: bool = True) -> None:
        super().__init__(client_user=client_user)
        add_to_care_team(self.client, self.prescriber, Role.PRESCRIBER)

    def release_questionnaires(self, **overrides: Any) -> Any:
        """Sign a two-way release covering questionnaire results between the two practices."""
        kwargs: dict[str, Any] = {"categories": [Category.QUESTIONNAIRES, Category.MEDICATIONS]}
        kwargs.update(overrides)
        return self.signed(**kwargs)

    def phq9(
        self,
        answers: list[int | None],
        *,
        by: Any = None,
        days_ago: int = 0,
        source: str = ResponseSource.CLINICIAN,
    ) -> QuestionnaireResponse:
        """Record a PHQ-9 entered by ``by`` (the prescriber by default) ``days_ago`` days ago."""
        by = by or self.prescriber
        org = self.psychiatry if by == self.prescriber else self.therapy
        return actions.record_response(
            by,
            self.client,
            "phq-9",
            answers,
            source=source,
            idempotency_key=uuid.uuid4(),
            organisation=org,
            entered_at=timezone.localtime()
            - dt.timedelta(days=days_ago),  # calendar days, across DST
        )


def answers_totalling(total: int, item9: int = 0) -> list[int | None]:
    """Return nine PHQ-9 answers that add up to ``total`` with item 9 at ``item9``."""
    rest = total - item9
    assert 0 <= rest <= 24
    values = []
    for _ in range(8):
        take = min(3, rest)
        values.append(take)
        rest -= take
    return [*values, item9]
