"""A synthetic care team: a client, their therapist, and the practice's prescriber after referral."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.care.models import ConsultNote
from tandem.care.notes import actions as note_actions
from tandem.consent.categories import Category, Purpose
from tandem.consent.models import Release
from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team
from tandem.referrals.tests.factories import ReferralWorld

COLLABORATION = [
    Category.CONSULT_NOTES,
    Category.MEDICATIONS,
    Category.PROGRESS_UPDATES,
    Category.CLINICIAN_MESSAGES,
    Category.SAFETY,
    Category.ATTENDANCE,
]

NOTE = {
    "diagnoses": ["F41.0", "F32.1"],
    "formulation": "Panic disorder with moderate depressive episode; thyroid to rule out.",
    "medication_recommendations": "Start sertraline 25 mg, titrate to 50 mg.",
    "therapy_focus": "Continue interoceptive exposure.",
    "work_up": ["thyroid"],
    "follow_up_plan": "Medication visit in 3 weeks.",
    "follow_up_cadence": "Every 2-3 weeks during the trial.",
}


class CareWorld(ReferralWorld):
    """The referral world with the prescriber on the care team and, optionally, a release."""

    def __init__(self, release: bool = True, **policy: Any) -> None:
        super().__init__(**policy)
        add_to_care_team(self.client, self.prescriber, Role.PRESCRIBER)
        add_to_care_team(self.client, self.coordinator, Role.COORDINATOR)
        self.release: Release | None = self.collaboration_release() if release else None

    def collaboration_release(self, categories: list[str] | None = None) -> Release:
        return self.signed(
            categories=categories or COLLABORATION,
            purpose=Purpose.TREATMENT_COORDINATION,
            expires_on=timezone.localdate() + dt.timedelta(days=365),
        )

    def draft_note(self, **data: Any) -> ConsultNote:
        return note_actions.save_note(actor=self.prescriber, client=self.client, data=NOTE | data)
