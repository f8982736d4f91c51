"""Eligibility before PHI: does a client fit a practice's policy? Pure functions, no queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tandem.core.usstates import US_STATES
from tandem.referrals.models import Payer, PlanType, PracticePolicy, Service


@dataclass(frozen=True)
class Facts:
    """What the therapist tells Tandem before anything identifying leaves their practice."""

    age: int
    visit_state: str
    payer: str
    plan_type: str
    service: str


@dataclass(frozen=True)
class Mismatch:
    field: str
    message: str


def age_on(born: dt.date, day: dt.date) -> int:
    """Return the age in whole years on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check(policy: PracticePolicy, facts: Facts) -> list[Mismatch]:
    """Return every way the client does not fit the practice, in plain words (empty: eligible)."""
    problems: list[Mismatch] = []
    name = policy.organisation.name
    if not policy.accepting_new:
        problems.append(Mismatch("practice", f"{name} is not taking new referrals right now."))
    if facts.age < policy.min_age:
        problems.append(
            Mismatch(
                "age",
                f"{name} sees adults from {policy.min_age}; this client is {facts.age}. "
                "A child and adolescent psychiatrist is the right next step.",
            )
        )
    elif facts.age > policy.max_age:
        problems.append(
            Mismatch(
                "age",
                f"{name} sees adults up to {policy.max_age}; this client is {facts.age}. "
                "A geriatric psychiatry service or a practice without an upper age limit fits better.",
            )
        )
    if policy.visit_states and facts.visit_state not in policy.visit_states:
        where = " or ".join(US_STATES.get(s, s) for s in policy.visit_states)
        problems.append(
            Mismatch(
                "visit_state",
                f"{name} can only see clients who are in {where} during visits "
                "(telehealth licensing follows where the client is).",
            )
        )
    if facts.payer not in policy.payers:
        if facts.payer == Payer.MEDICARE:
            message = f"{name} does not accept Medicare."
        elif facts.payer == Payer.MEDICAID:
            message = f"{name} does not accept Medicaid (MassHealth)."
        else:
            message = f"{name} does not accept {Payer(facts.payer).label.lower()}."
        if Payer.SELF_PAY in policy.payers:
            message += " The client could still be seen as private pay."
        problems.append(Mismatch("payer", message))
    elif (
        facts.payer == Payer.COMMERCIAL
        and policy.plan_types
        and facts.plan_type not in policy.plan_types
    ):
        accepted = ", ".join(policy.plan_types)
        problems.append(
            Mismatch(
                "plan_type",
                f"{name} accepts commercial {accepted} plans, not {PlanType(facts.plan_type).label}.",
            )
        )
    if policy.services and facts.service not in policy.services:
        problems.append(
            Mismatch("service", f"{name} does not offer {Service(facts.service).label.lower()}.")
        )
    return problems
