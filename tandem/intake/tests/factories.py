"""A practice with a referral policy, and the bot's answers for a client who fits it."""

from tandem.referrals.models import PracticePolicy
from tandem.scheduling.tests.factories import Practice


def practice_with_policy(**overrides) -> Practice:
    p = Practice()
    PracticePolicy.objects.create(
        organisation=p.org,
        visit_states=["MA"],
        payers=["commercial", "self_pay"],
        plan_types=["PPO", "POS"],
        **overrides,
    )
    return p


FITTING_ANSWERS = [
    ("name", {"first_name": "Rowan", "last_name": "Whitcombe"}),
    ("birth", {"date_of_birth": "1990-05-17"}),
    ("contact", {"email": "rowan.whitcombe@example.test", "phone": "617-555-0142"}),
    ("location", {"state_of_residence": "MA", "visit_state": "MA"}),
    ("coverage", {"payer": "commercial", "plan_type": "PPO"}),
    ("reason", {"reason": "Low mood for months", "has_therapist": "yes"}),
    ("phq9", {f"item{i}": "1" for i in range(1, 9)} | {"item9": "0"}),
    ("gad7", {f"item{i}": "2" for i in range(1, 8)}),
    ("consent", {"agree": "on"}),
]
