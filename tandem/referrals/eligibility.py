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


def medicare_advice(policy: PracticePolicy, *, you: bool) -> str:
    """Say why a practice that does not bill Medicare may (or may not) see a beneficiary, and the
    next best step: addressed to the person (``you``) or to the referring clinician.

    Only practitioners who have opted out of Medicare may privately contract with a
    beneficiary (42 CFR 405.400-455); any other practitioner must bill Medicare for
    covered services, so without an opt-out "private pay" is not an option.
    """
    name = policy.organisation.name
    if policy.medicare_opted_out:
        if you:
            message = (
                f"{name} has opted out of Medicare, so it can see you only under a private "
                "contract, signed before your first visit: you pay the full fee, and neither "
                "Medicare nor a Medigap plan pays anything for these visits."
            )
            if Payer.SELF_PAY in policy.payers:
                message += " If you agree to that, choose “Private pay (self-pay)”."
            return message
        return (
            f"{name} has opted out of Medicare, so it sees Medicare beneficiaries only under a "
            "private contract, signed before the first visit: the client pays the full fee, and "
            "neither Medicare nor a Medigap plan pays anything for these visits. If the client "
            "agrees, refer them as private pay; otherwise a practice that accepts Medicare is "
            "the next step."
        )
    who = "you while you have Medicare" if you else "Medicare beneficiaries"
    whose = "your" if you else "the client's"
    return (
        f"{name} does not accept Medicare and has not opted out of it, so it cannot see {who}, "
        "not even as private pay: Medicare's rules allow private contracts only with "
        "practitioners who have opted out (42 CFR 405.400-455). Next step: a practice that "
        "accepts Medicare. Medicare's Care Compare (medicare.gov/care-compare) or "
        f"1-800-MEDICARE lists them, and {whose} therapist or primary care clinician can "
        "suggest one."
    )


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
    if facts.payer == Payer.MEDICARE and facts.payer not in policy.payers:
        problems.append(Mismatch("payer", medicare_advice(policy, you=False)))
    elif facts.payer not in policy.payers:
        if facts.payer == Payer.MEDICAID:
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
