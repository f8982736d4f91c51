"""A synthetic referral world: a therapist's client and a practice like the article's."""

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from tandem.consent.actions import PartySpec
from tandem.consent.categories import Category, Purpose
from tandem.consent.tests.factories import World as ConsentWorld
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.referrals import actions
from tandem.referrals.models import (
    Payer,
    PlanType,
    PracticePolicy,
    Referral,
    ReferralReason,
    Service,
)

ARTICLE_POLICY = {
    "min_age": 18,
    "max_age": 64,
    "visit_states": ["MA"],
    "payers": [Payer.COMMERCIAL, Payer.SELF_PAY],
    "plan_types": [PlanType.PPO, PlanType.EPO],
    "services": [s.value for s in Service],
    "response_target_days": 1,
    "access_target_weeks": 4,
}


class ReferralWorld(ConsentWorld):
    """The consent world plus the psychiatric practice's policy and inbox staff."""

    def __init__(self, **policy: Any) -> None:
        super().__init__()
        self.policy = PracticePolicy.objects.create(
            organisation=self.psychiatry, **(ARTICLE_POLICY | policy)
        )
        self.coordinator = make_staff(Role.COORDINATOR, self.psychiatry)
        self.admin = make_staff(Role.PRACTICE_ADMIN, self.psychiatry)
        self.psychiatry.memberships.filter(user=self.prescriber).update(is_on_call=True)

    def start(self, **overrides: Any) -> Referral:
        kwargs: dict[str, Any] = {
            "actor": self.therapist,
            "client": self.client,
            "to_organisation": self.psychiatry,
            "visit_state": "MA",
            "payer": Payer.COMMERCIAL,
            "plan_type": PlanType.PPO,
            "service": Service.MEDICATION_MANAGEMENT,
            "idempotency_key": uuid.uuid4(),
        }
        kwargs.update(overrides)
        return actions.start_referral(**kwargs)

    def drafted(self, referral: Referral | None = None, **packet: Any) -> Referral:
        """Fill the packet of ``referral`` (a new one by default) as the article's case."""
        referral = referral or self.start()
        data = {
            "reasons": [ReferralReason.TREATMENT_RESISTANT],
            "symptoms_tried": "Six months of weekly CBT; panic attacks 2-3 times a week persist.",
            "diagnoses": ["F41.1", "F41.0"],
            "treatment_history": "CBT with interoceptive exposure since spring.",
            "medications": [{"name": "Levothyroxine", "dose": "50 mcg daily", "kind": "medical"}],
            "medical_history": "Hypothyroidism, treated.",
        } | packet
        errors = actions.save_draft(actor=self.therapist, referral=referral, data=data)
        assert errors == {}, errors
        return Referral.objects.get(pk=referral.pk)

    def sent(self, **packet: Any) -> Referral:
        return actions.send_referral(actor=self.therapist, referral=self.drafted(**packet))

    def accepted(self) -> Referral:
        """Send the article's referral and have the coordinator accept it for the prescriber."""
        return actions.accept(
            actor=self.coordinator, referral=self.sent(), assigned_prescriber=self.prescriber
        )

    def release(self, categories: list[str]) -> None:
        self.signed(
            categories=categories,
            recipients=[PartySpec(self.psychiatry)],
            purpose=Purpose.REFERRAL,
            expires_on=timezone.localdate() + dt.timedelta(days=180),
        )


ALL_PACKET_CATEGORIES = [
    Category.DIAGNOSIS,
    Category.TREATMENT_HISTORY,
    Category.MEDICATIONS,
    Category.SAFETY,
    Category.SUBSTANCE_USE,
    Category.MEDICAL_HISTORY,
    Category.QUESTIONNAIRES,
]
