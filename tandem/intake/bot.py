"""The appointment bot's questions, in order, and the rules each answer must meet.

Pure functions over a practice's policy and the answers given so far: the view
renders the next unanswered step, and ``check`` says in plain words why an
answer cannot be taken (with the next best options when the client does not
fit the practice).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms

from tandem.core.usstates import US_STATES
from tandem.intake import forms as f
from tandem.referrals import eligibility
from tandem.referrals.models import Payer, PlanType, PracticePolicy, Service


@dataclass(frozen=True)
class Step:
    code: str
    question: str
    form: type[forms.Form]
    sensitive: bool = False  # summarised as "Answered", never echoed back


STEPS: tuple[Step, ...] = (
    Step(
        "name", "Hello! I will help you request a first appointment. What is your name?", f.NameForm
    ),
    Step("birth", "What is your date of birth?", f.BirthForm, sensitive=True),
    Step("contact", "How can the practice reach you?", f.ContactDetailsForm),
    Step(
        "location", "Where do you live, and where will you be during video visits?", f.LocationForm
    ),
    Step("coverage", "How will you pay for your visits?", f.CoverageForm),
    Step(
        "reason", "What brings you to us, and do you see a therapist?", f.ReasonForm, sensitive=True
    ),
    Step(
        "phq9",
        "Over the last 2 weeks, how often have you been bothered by any of the following? (PHQ-9)",
        f.PHQ9Form,
        sensitive=True,
    ),
    Step(
        "gad7",
        "Over the last 2 weeks, how often have you been bothered by the following? (GAD-7)",
        f.GAD7Form,
        sensitive=True,
    ),
    Step("consent", "Please read the practice's policies and agree to continue.", f.ConsentForm),
)
ACCOUNT = Step(
    "account",
    "Last step: confirm your email address.",
    f.EmailLinkForm,
)
BY_CODE = {s.code: s for s in (*STEPS, ACCOUNT)}


@dataclass
class Verdict:
    """Why an answer cannot be taken: field → message, and better places to go."""

    errors: dict[str, str] = field(default_factory=dict)
    alternatives: list[Any] = field(default_factory=list)  # other practices that fit
    self_pay_possible: bool = False
    contact_form: bool = False  # point to the practice's contact form for questions

    def __bool__(self) -> bool:
        return bool(self.errors)


def steps_for(signed_in: bool) -> list[Step]:
    """Return the steps a person goes through (no password step once signed in)."""
    return list(STEPS) if signed_in else [*STEPS, ACCOUNT]


def next_step(answers: dict[str, Any], signed_in: bool) -> Step | None:
    """Return the first step without an answer, or None when all are answered."""
    for step in steps_for(signed_in):
        if step.code not in answers:
            return step
    return None


def previous_step(code: str, signed_in: bool) -> Step | None:
    steps = steps_for(signed_in)
    codes = [s.code for s in steps]
    index = codes.index(code) if code in codes else len(codes)
    return steps[index - 1] if index > 0 else None


def age_from(answers: dict[str, Any], today: dt.date) -> int | None:
    born = answers.get("birth", {}).get("date_of_birth")
    return eligibility.age_on(dt.date.fromisoformat(born), today) if born else None


def _facts(answers: dict[str, Any], today: dt.date) -> eligibility.Facts:
    coverage = answers.get("coverage", {})
    return eligibility.Facts(
        age=age_from(answers, today) or 0,
        visit_state=answers.get("location", {}).get("visit_state", ""),
        payer=coverage.get("payer", Payer.SELF_PAY),
        plan_type=coverage.get("plan_type", PlanType.NONE),
        service=Service.MEDICATION_MANAGEMENT,
    )


def known_facts(answers: dict[str, Any], today: dt.date) -> tuple[eligibility.Facts, set[str]]:
    """Return the eligibility facts the answers give, and the names of those actually told.

    The directory search suggests other practices on the told facts only (an unknown
    one filters nothing). Pass the answer being refused too: a client in New Hampshire
    must not be sent to another Massachusetts-only practice.
    """
    known = {"age"} if "birth" in answers else set()
    if "location" in answers:
        known.add("visit_state")
    if "coverage" in answers:
        known |= {"payer", "plan_type"}
    return _facts(answers, today), known


def check(
    step: Step,
    data: dict[str, Any],
    answers: dict[str, Any],
    policy: PracticePolicy,
    today: dt.date,
) -> Verdict:
    """Return why ``data`` (a step's cleaned answer) cannot be taken; an empty verdict is fine."""
    verdict = Verdict()
    name = policy.organisation.name
    if step.code == "birth":
        born = data["date_of_birth"]
        age = eligibility.age_on(born, today)
        if born > today:
            verdict.errors["date_of_birth"] = "The date of birth is in the future; check the year."
        elif born.year < 1900:
            verdict.errors["date_of_birth"] = "Check the year of your date of birth."
        elif age < policy.min_age:
            verdict.errors["date_of_birth"] = (
                f"{name} sees adults from age {policy.min_age}. A child and adolescent "
                "psychiatrist is the right place; your pediatrician or therapist can suggest one."
            )
        elif age > policy.max_age:
            verdict.errors["date_of_birth"] = (
                f"{name} sees adults up to age {policy.max_age}. A geriatric psychiatry service "
                "or a practice without an upper age limit will fit you better."
            )
    elif step.code == "location":
        if policy.visit_states and data["visit_state"] not in policy.visit_states:
            where = " or ".join(US_STATES.get(s, s) for s in policy.visit_states)
            verdict.errors["visit_state"] = (
                f"We are sorry: {name} can only see you while you are in {where}, because "
                "prescribers are licensed state by state and the law follows where you are "
                "during a video visit. If you will be in "
                f"{where} for your visits, choose it here."
            )
    elif step.code == "coverage":
        payer, plan = data["payer"], data["plan_type"]
        verdict.self_pay_possible = Payer.SELF_PAY in policy.payers
        if payer == Payer.MEDICARE and payer not in policy.payers:
            # Private pay is open to a Medicare beneficiary only at an opted-out practice.
            verdict.self_pay_possible = verdict.self_pay_possible and policy.medicare_opted_out
            verdict.contact_form = True
            verdict.errors["payer"] = eligibility.medicare_advice(policy, you=True)
        elif payer not in policy.payers:
            if payer == Payer.MEDICAID:
                message = f"{name} does not take MassHealth (Medicaid) at the moment."
            else:
                message = f"{name} does not accept {Payer(payer).label.lower()}."
            if verdict.self_pay_possible:
                message += " You can still be seen as private pay: choose “Private pay (self-pay)”."
            verdict.errors["payer"] = message
        elif payer == Payer.COMMERCIAL and policy.plan_types and plan not in policy.plan_types:
            accepted = ", ".join(policy.plan_types)
            verdict.errors["plan_type"] = (
                f"{name} accepts commercial {accepted} plans, not {PlanType(plan).label}. "
                "Private pay is another option."
            )
    return verdict


def summary(step: Step, answer: dict[str, Any]) -> str:
    """Return how the thread shows an answer: short, and nothing sensitive echoed back."""
    if step.sensitive:
        return "Answered"
    if step.code == "name":
        return f"{answer['first_name']} {answer['last_name']}"
    if step.code == "contact":
        return ", ".join(v for v in (answer["email"], answer.get("phone", "")) if v)
    if step.code == "location":
        return (
            f"I live in {US_STATES.get(answer['state_of_residence'])}; during visits I will be in "
            f"{US_STATES.get(answer['visit_state'])}"
        )
    if step.code == "coverage":
        return f"{Payer(answer['payer']).label}, {PlanType(answer['plan_type']).label}"
    if step.code == "consent":
        return "I agree"
    return "Answered"


def needs_crisis_help(answers: dict[str, Any]) -> bool:
    """Return whether PHQ-9 item 9 (thoughts of death or self-harm) was answered above zero."""
    return int(answers.get("phq9", {}).get("item9", "0") or 0) > 0


def storable(data: dict[str, Any]) -> dict[str, Any]:
    """Return a cleaned answer as JSON-friendly values (dates as ISO strings)."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
