"""The Adult ADHD Self-Report Scale (ASRS v1.1) screener: Part A, six questions.

Source: Kessler RC, Adler L, Ames M, et al. The World Health Organization
Adult ADHD Self-Report Scale (ASRS): a short screening scale for use in the
general population. Psychol Med 2005;35:245-256; and the ASRS v1.1 Symptom
Checklist's own scoring instructions: a mark in a shaded box counts; for
questions 1-3 the shaded boxes start at "Sometimes", for questions 4-6 at
"Often"; four or more marks in shaded boxes in Part A are "highly consistent
with ADHD in adults and further investigation is warranted".

Licence: copyright World Health Organization, New York University and the
President and Fellows of Harvard College; the form may be reproduced unaltered
for screening, but we could not confirm terms for showing its wording inside
software, so the questions ship with neutral labels.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Option,
    Result,
    missing_items,
    neutral_items,
)

FREQUENCY = (
    Option(0, "Never"),
    Option(1, "Rarely"),
    Option(2, "Sometimes"),
    Option(3, "Often"),
    Option(4, "Very often"),
)

#: The first shaded value of each question: "Sometimes" (2) for 1-3, "Often" (3) for 4-6.
SHADED_FROM = (2, 2, 2, 3, 3, 3)
#: Four or more answers in shaded boxes is a positive screen.
CUTOFF = 4


def score_asrs_a(answers: Answers, sex: str | None) -> Result:
    """Count the answers in shaded boxes (0-6); positive at 4 or more; incomplete if any is blank."""
    missing = missing_items(ASRS_A, answers)
    if missing:
        return Result("asrs-a", None, None, None, (), False, extras={"missing_items": missing})
    shaded = [
        str(n)
        for n, (value, threshold) in enumerate(zip(answers, SHADED_FROM, strict=True), start=1)
        if value is not None and value >= threshold
    ]
    total = len(shaded)
    return Result(
        "asrs-a",
        total,
        None,
        total >= CUTOFF,
        extras={"missing_items": [], "shaded_items": shaded},
    )


ASRS_A = Instrument(
    code="asrs-a",
    name="ASRS v1.1 Part A",
    version="ASRS v1.1 Screener (Part A, six questions)",
    measures="Screen for adult ADHD: how often six symptoms occurred over the past 6 months.",
    instructions="Answer how often each applied over the past 6 months.",
    items=neutral_items(6, FREQUENCY),
    licence=(
        "Copyright World Health Organization, New York University and President and Fellows of "
        "Harvard College. Wording not shipped: neutral labels only."
    ),
    texts_shipped=False,
    source=(
        "Kessler RC et al. Psychol Med 2005;35:245-256; ASRS v1.1 Symptom Checklist scoring "
        "instructions (Harvard Medical School, National Comorbidity Survey)."
    ),
    scorer=score_asrs_a,
)
