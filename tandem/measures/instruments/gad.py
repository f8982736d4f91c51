"""The Generalized Anxiety Disorder scale, GAD-7, and its first two items, the GAD-2.

Source: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for
assessing generalized anxiety disorder: the GAD-7. Arch Intern Med
2006;166:1092-1097 (severity 5/10/15 and the cut-off of 10); Kroenke K, Spitzer
RL, Williams JBW, Monahan PO, Löwe B. Anxiety disorders in primary care:
prevalence, impairment, comorbidity, and detection. Ann Intern Med
2007;146:317-325 (GAD-2 cut-off of 3).

Missing items: we found no prorating rule published by the GAD-7's authors, so
a GAD-7 with any item blank is incomplete (no total), never a silent zero.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Result,
    banded,
    missing_items,
)
from tandem.measures.instruments.phq import DIFFICULTY, DIFFICULTY_TEXT, FREQUENCY, INSTRUCTIONS

LICENCE = (
    "Copyright Pfizer Inc. Developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke "
    "and colleagues, with an educational grant from Pfizer Inc. No permission required to "
    "reproduce, translate, display or distribute (www.phqscreeners.com)."
)

GAD7_TEXTS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

#: Spitzer et al. 2006: 5, 10 and 15 are the cut-points for mild, moderate and severe anxiety.
GAD7_BANDS = (
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 21, "severe"),
)
#: Spitzer et al. 2006: a total of 10 or more (sensitivity 89%, specificity 82% for GAD).
GAD7_CUTOFF = 10
#: Kroenke et al. 2007: a GAD-2 total of 3 or more is a positive screen.
GAD2_CUTOFF = 3


def score_gad7(answers: Answers, sex: str | None) -> Result:
    """Score a GAD-7: sum of items 1-7 (0-21) and its severity band; incomplete if any item is blank."""
    difficulty = answers[7] if len(answers) > 7 else None
    missing = missing_items(GAD7, answers)
    extras = {"difficulty": difficulty, "missing_items": missing}
    if missing:
        return Result("gad-7", None, None, None, (), False, extras=extras)
    total = sum(v for v in answers[:7] if v is not None)
    return Result("gad-7", total, banded(total, GAD7_BANDS), total >= GAD7_CUTOFF, extras=extras)


def score_gad2(answers: Answers, sex: str | None) -> Result:
    """Score a GAD-2: the two items summed (0-6), positive at 3 or more; incomplete if either is blank."""
    missing = missing_items(GAD2, answers)
    if missing:
        return Result("gad-2", None, None, None, (), False, extras={"missing_items": missing})
    total = sum(v for v in answers if v is not None)
    return Result("gad-2", total, None, total >= GAD2_CUTOFF, extras={"missing_items": []})


GAD7 = Instrument(
    code="gad-7",
    name="GAD-7",
    version="GAD-7 (Pfizer, 2006)",
    measures="Severity of generalized anxiety symptoms over the last two weeks.",
    instructions=INSTRUCTIONS,
    items=(
        *(
            Item(number=str(n), text=text, options=FREQUENCY)
            for n, text in enumerate(GAD7_TEXTS, start=1)
        ),
        Item(number="8", text=DIFFICULTY_TEXT, options=DIFFICULTY, scored=False),
    ),
    licence=LICENCE,
    texts_shipped=True,
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
        "anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097."
    ),
    scorer=score_gad7,
)

GAD2 = Instrument(
    code="gad-2",
    name="GAD-2",
    version="GAD-2 (Pfizer, items 1-2 of the GAD-7)",
    measures="Screen for anxiety: nervousness and uncontrollable worry over the last two weeks.",
    instructions=INSTRUCTIONS,
    items=tuple(
        Item(number=str(n), text=text, options=FREQUENCY)
        for n, text in enumerate(GAD7_TEXTS[:2], start=1)
    ),
    licence=LICENCE,
    texts_shipped=True,
    source=(
        "Kroenke K, Spitzer RL, Williams JBW, Monahan PO, Löwe B. Anxiety disorders in primary "
        "care: prevalence, impairment, comorbidity, and detection. Ann Intern Med "
        "2007;146:317-325."
    ),
    scorer=score_gad2,
)
