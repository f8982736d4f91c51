"""The Patient Health Questionnaire depression scales: PHQ-9 and its first two items, the PHQ-2.

Source: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief
depression severity measure. J Gen Intern Med 2001;16:606-613 (severity bands
5/10/15/20 and the cut-off of 10); Kroenke K, Spitzer RL, Williams JBW. The
Patient Health Questionnaire-2: validity of a two-item depression screener.
Med Care 2003;41:1284-1292 (cut-off of 3); Kroenke K, Spitzer RL, Williams JBW,
Löwe B. The Patient Health Questionnaire Somatic, Anxiety, and Depressive
Symptom Scales: a systematic review. Gen Hosp Psychiatry 2010;32:345-359
(prorating when no more than two items are missing). Instruction manual:
www.phqscreeners.com.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Option,
    Result,
    banded,
    missing_items,
    round_half_up,
)

LICENCE = (
    "Copyright Pfizer Inc. Developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke "
    "and colleagues, with an educational grant from Pfizer Inc. No permission required to "
    "reproduce, translate, display or distribute (www.phqscreeners.com)."
)

FREQUENCY = (
    Option(0, "Not at all"),
    Option(1, "Several days"),
    Option(2, "More than half the days"),
    Option(3, "Nearly every day"),
)

DIFFICULTY = (
    Option(0, "Not difficult at all"),
    Option(1, "Somewhat difficult"),
    Option(2, "Very difficult"),
    Option(3, "Extremely difficult"),
)

INSTRUCTIONS = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)

PHQ9_TEXTS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

DIFFICULTY_TEXT = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)

#: Kroenke, Spitzer & Williams 2001, table 3: minimal 0-4, mild 5-9, moderate 10-14,
#: moderately severe 15-19, severe 20-27.
PHQ9_BANDS = (
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately severe"),
    (20, 27, "severe"),
)

#: Kroenke et al. 2001: a total of 10 or more, sensitivity and specificity 88% for major depression.
PHQ9_CUTOFF = 10
#: Kroenke et al. 2003: a PHQ-2 total of 3 or more is a positive screen.
PHQ2_CUTOFF = 3
#: The PHQ manual's rule: prorate when no more than two of the nine items are missing.
PHQ9_MAX_MISSING = 2

SUICIDE_ITEM = 9


def score_phq9(answers: Answers, sex: str | None) -> Result:
    """Score a PHQ-9: sum of items 1-9, prorated when one or two are missing.

    Any answer above 0 on item 9 raises ``suicide_item_positive``, whatever the
    total and whether or not the form is complete; a blank item 9 raises
    ``suicide_item_unanswered`` so someone asks.
    """
    scored = answers[:9]
    difficulty = answers[9] if len(answers) > 9 else None
    flags: list[str] = []
    item9 = scored[SUICIDE_ITEM - 1]
    if item9 is None:
        flags.append("suicide_item_unanswered")
    elif item9 > 0:
        flags.append("suicide_item_positive")

    given = [value for value in scored if value is not None]
    missing = missing_items(PHQ9, answers)
    extras = {"difficulty": difficulty, "missing_items": missing}
    if len(missing) > PHQ9_MAX_MISSING:
        return Result("phq-9", None, None, None, tuple(flags), False, False, extras)
    total = sum(given)
    prorated = bool(missing)
    if prorated:
        total = round_half_up(total * 9, len(given))
    return Result(
        instrument="phq-9",
        total=total,
        band=banded(total, PHQ9_BANDS),
        positive=total >= PHQ9_CUTOFF,
        flags=tuple(flags),
        complete=not missing,
        prorated=prorated,
        extras=extras,
    )


def score_phq2(answers: Answers, sex: str | None) -> Result:
    """Score a PHQ-2: the two items summed (0-6), positive at 3 or more; incomplete if either is blank."""
    missing = missing_items(PHQ2, answers)
    if missing:
        return Result("phq-2", None, None, None, (), False, extras={"missing_items": missing})
    total = sum(v for v in answers if v is not None)
    return Result("phq-2", total, None, total >= PHQ2_CUTOFF, extras={"missing_items": []})


PHQ9 = Instrument(
    code="phq-9",
    name="PHQ-9",
    version="PHQ-9 (Pfizer, 1999)",
    measures="Severity of depressive symptoms over the last two weeks.",
    instructions=INSTRUCTIONS,
    items=(
        *(
            Item(number=str(n), text=text, options=FREQUENCY)
            for n, text in enumerate(PHQ9_TEXTS, start=1)
        ),
        Item(number="10", text=DIFFICULTY_TEXT, options=DIFFICULTY, scored=False),
    ),
    licence=LICENCE,
    texts_shipped=True,
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity "
        "measure. J Gen Intern Med 2001;16:606-613. Missing items: Kroenke K et al., Gen Hosp "
        "Psychiatry 2010;32:345-359 and the PHQ instruction manual (www.phqscreeners.com)."
    ),
    scorer=score_phq9,
)

PHQ2 = Instrument(
    code="phq-2",
    name="PHQ-2",
    version="PHQ-2 (Pfizer, items 1-2 of the PHQ-9)",
    measures="Screen for depression: depressed mood and loss of interest over the last two weeks.",
    instructions=INSTRUCTIONS,
    items=tuple(
        Item(number=str(n), text=text, options=FREQUENCY)
        for n, text in enumerate(PHQ9_TEXTS[:2], start=1)
    ),
    licence=LICENCE,
    texts_shipped=True,
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The Patient Health Questionnaire-2: validity of a "
        "two-item depression screener. Med Care 2003;41:1284-1292."
    ),
    scorer=score_phq2,
)
