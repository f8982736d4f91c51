"""The AUDIT-C: the three alcohol-consumption questions of the WHO AUDIT.

Source: Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT
alcohol consumption questions (AUDIT-C): an effective brief screening test for
problem drinking. Arch Intern Med 1998;158:1789-1795 (men: 4 or more);
Bradley KA, Bush KR, Epler AJ, et al. Two brief alcohol-screening tests from
the Alcohol Use Disorders Identification Test (AUDIT): validation in a female
Veterans Affairs patient population. Arch Intern Med 2003;163:821-829
(women: 3 or more). Questions from Babor TF et al., AUDIT: Guidelines for Use
in Primary Care, 2nd ed., WHO 2001.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Option,
    Result,
    ScoringError,
    missing_items,
)

#: Positive at 4 or more for men (Bush et al. 1998), 3 or more for women (Bradley et al. 2003).
CUTOFFS = {"male": 4, "female": 3}

ITEMS = (
    Item(
        number="1",
        text="How often do you have a drink containing alcohol?",
        options=(
            Option(0, "Never"),
            Option(1, "Monthly or less"),
            Option(2, "2-4 times a month"),
            Option(3, "2-3 times a week"),
            Option(4, "4 or more times a week"),
        ),
    ),
    Item(
        number="2",
        text="How many standard drinks containing alcohol do you have on a typical day?",
        options=(
            Option(0, "1 or 2"),
            Option(1, "3 or 4"),
            Option(2, "5 or 6"),
            Option(3, "7 to 9"),
            Option(4, "10 or more"),
        ),
    ),
    Item(
        number="3",
        text="How often do you have six or more drinks on one occasion?",
        options=(
            Option(0, "Never"),
            Option(1, "Less than monthly"),
            Option(2, "Monthly"),
            Option(3, "Weekly"),
            Option(4, "Daily or almost daily"),
        ),
    ),
)


def score_audit_c(answers: Answers, sex: str | None) -> Result:
    """Sum the three questions (0-12); positive at the cut-off for ``sex``; incomplete if any is blank."""
    missing = missing_items(AUDIT_C, answers)
    if missing:
        return Result("audit-c", None, None, None, (), False, extras={"missing_items": missing})
    total = sum(v for v in answers if v is not None)
    if sex not in CUTOFFS:
        raise ScoringError("AUDIT-C needs sex ('female' or 'male').", field="sex")
    return Result("audit-c", total, None, total >= CUTOFFS[sex], extras={"missing_items": []})


AUDIT_C = Instrument(
    code="audit-c",
    name="AUDIT-C",
    version="AUDIT-C (Bush et al., 1998)",
    measures="Screen for hazardous drinking or active alcohol use disorder, over the past year.",
    instructions="Answer about your drinking over the past year.",
    items=ITEMS,
    licence=(
        "AUDIT-C is available for use in the public domain (US Department of Veterans Affairs; "
        "SAMHSA-HRSA Center for Integrated Health Solutions). The questions come from the WHO "
        "AUDIT (copyright World Health Organization 2001), which may be freely reproduced but "
        "not sold."
    ),
    texts_shipped=True,
    source=(
        "Bush K et al. Arch Intern Med 1998;158:1789-1795; Bradley KA et al. Arch Intern Med "
        "2003;163:821-829; Babor TF et al. AUDIT: Guidelines for Use in Primary Care, WHO 2001."
    ),
    scorer=score_audit_c,
    needs_sex=True,
)
