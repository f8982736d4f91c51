"""The Columbia-Suicide Severity Rating Scale, screen version (the "Columbia Protocol" screener).

Source: Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide Severity
Rating Scale: initial validity and internal consistency findings from three
multisite studies with adolescents and adults. Am J Psychiatry
2011;168:1266-1277; and the Columbia Lighthouse Project's screener with triage
points and its triage guidance (cssrs.columbia.edu, "Triage"): the most
worrisome answers are a past-month "yes" to question 4 or 5 and any suicidal
behaviour in the past 3 months.

Questions (the screener's own numbering), all yes (1) / no (0):

1. wish to be dead (past month)
2. non-specific active suicidal thoughts (past month)
3. active ideation with any method, without intent to act — asked only if 2 is yes
4. active ideation with some intent to act, without a specific plan — only if 2 is yes
5. active ideation with a specific plan and intent — only if 2 is yes
6. suicidal behaviour (ever) — always asked
6b. was that behaviour within the past 3 months — asked only if 6 is yes

Triage (Columbia's screener with triage points):

* low risk: yes to 1 or 2
* moderate risk: yes to 3, or yes to 6 more than 3 months ago
* high risk: yes to 4 or 5, or yes to 6 within the past 3 months

Licence: the scale's wording is copyright The Research Foundation for Mental
Hygiene, Inc. Columbia states that health and behavioural-health providers may
put the protocol into their own records without cost or licence, but the
exclusive licence for electronic implementations is held by a third party that
charges fees and certifies each implementation. We could not confirm that
Tandem may display the wording, so the questions are shipped with neutral
labels; a practice that holds the form enters the answers by question number.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Option,
    Result,
    ScoringError,
)

YES_NO = (Option(0, "No"), Option(1, "Yes"))

NUMBERS = ("1", "2", "3", "4", "5", "6", "6b")
LABELS = (
    "Question 1",
    "Question 2",
    "Question 3",
    "Question 4",
    "Question 5",
    "Question 6",
    "Question 6, follow-up (past 3 months)",
)

Q1, Q2, Q3, Q4, Q5, Q6, Q6B = range(7)
#: Asked only after a "yes" to question 2.
AFTER_Q2 = (Q3, Q4, Q5)

LOW, MODERATE, HIGH = "low", "moderate", "high"
_ORDER = (LOW, MODERATE, HIGH)


def score_cssrs_screen(answers: Answers, sex: str | None) -> Result:
    """Triage a C-SSRS screener by which questions are answered yes, following its skip logic.

    The screener has no total. Flags are raised from the answers given even on
    an incomplete form; the band is given when the form is complete, or when
    the answers already place the person at high risk (no blank can change that).
    """
    _check_skips(answers)
    required = [Q1, Q2, Q6]
    if answers[Q2] == 1:
        required += list(AFTER_Q2)
    if answers[Q6] == 1:
        required.append(Q6B)
    missing = [NUMBERS[i] for i in required if answers[i] is None]

    levels = []
    if answers[Q1] == 1 or answers[Q2] == 1:
        levels.append(LOW)
    if answers[Q3] == 1:
        levels.append(MODERATE)
    if answers[Q6] == 1 and answers[Q6B] == 0:
        levels.append(MODERATE)
    if answers[Q4] == 1 or answers[Q5] == 1:
        levels.append(HIGH)
    if answers[Q6] == 1 and answers[Q6B] == 1:
        levels.append(HIGH)
    level = max(levels, key=_ORDER.index) if levels else None

    flags = []
    if level:
        flags.append(f"suicide_risk_{level}")
    if answers[Q6B] == 1:
        flags.append("suicidal_behaviour_past_3_months")

    complete = not missing
    if complete:
        band: str | None = f"{level} risk" if level else "no risk identified"
        positive: bool | None = level is not None
    else:
        band = "high risk" if level == HIGH else None
        positive = True if level else None
    return Result(
        instrument="c-ssrs-screen",
        total=None,
        band=band,
        positive=positive,
        flags=tuple(flags),
        complete=complete,
        extras={"missing_items": missing},
    )


def _check_skips(answers: Answers) -> None:
    """Refuse answers to questions the screener skips, so a form is never scored as something it was not."""
    if answers[Q2] != 1:
        for index in AFTER_Q2:
            if answers[index] is not None:
                raise ScoringError(
                    f"C-SSRS screener question {NUMBERS[index]} is asked only after a yes to "
                    "question 2; leave it null unless question 2 is yes.",
                    field=f"responses[{index}]",
                )
    if answers[Q6] != 1 and answers[Q6B] is not None:
        raise ScoringError(
            "C-SSRS screener question 6b (past 3 months) is asked only after a yes to "
            "question 6; leave it null unless question 6 is yes.",
            field=f"responses[{Q6B}]",
        )


CSSRS_SCREEN = Instrument(
    code="c-ssrs-screen",
    name="C-SSRS screener",
    version="C-SSRS Screen Version, recent (past month; behaviour lifetime and past 3 months)",
    measures=(
        "Suicidal ideation (past month) and suicidal behaviour (ever, and in the past 3 months), "
        "triaged to low, moderate or high risk."
    ),
    instructions=(
        "Answer each question yes or no. Ask questions 3-5 only after a yes to question 2; "
        "always ask question 6; ask 6b only after a yes to question 6. "
        "Send null for a question that was skipped."
    ),
    items=tuple(
        Item(number=number, text=label, options=YES_NO)
        for number, label in zip(NUMBERS, LABELS, strict=True)
    ),
    licence=(
        "Copyright The Research Foundation for Mental Hygiene, Inc. (Columbia Lighthouse Project). "
        "Free for health and behavioural-health providers; electronic implementations are "
        "licensed separately. Wording not shipped: neutral labels only."
    ),
    texts_shipped=False,
    source=(
        "Posner K et al. Am J Psychiatry 2011;168:1266-1277; Columbia Lighthouse Project, "
        "C-SSRS screener with triage points and triage guidance (cssrs.columbia.edu)."
    ),
    scorer=score_cssrs_screen,
)
