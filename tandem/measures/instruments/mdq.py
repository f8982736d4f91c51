"""The Mood Disorder Questionnaire (MDQ), a screen for bipolar spectrum disorder.

Source: Hirschfeld RMA, Williams JBW, Spitzer RL, et al. Development and
validation of a screening instrument for bipolar spectrum disorder: the Mood
Disorder Questionnaire. Am J Psychiatry 2000;157:1873-1875. Its scoring rule:
a positive screen needs all three of

1. seven or more of the 13 items in question 1 answered yes,
2. yes to question 2 (several of these happened during the same period), and
3. "moderate problem" or "serious problem" to question 3.

Skips from the form itself: question 2 is asked "if you checked yes to more
than one of the above", so it may be left blank when fewer than two items of
question 1 are yes; question 3 asks how much of a problem "any of these"
caused, so it may be left blank when no item of question 1 is yes.

Licence: the form's own notice reads "Copyright (c) 2000 by The University of
Texas Medical Branch. Reprinted with permission." (the authors are not the
copyright holder). We could not confirm terms for showing its wording in
software, so the items ship with neutral labels.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Option,
    Result,
)

YES_NO = (Option(0, "No"), Option(1, "Yes"))
PROBLEM = (
    Option(0, "No problem"),
    Option(1, "Minor problem"),
    Option(2, "Moderate problem"),
    Option(3, "Serious problem"),
)

PART1_NUMBERS = tuple(f"1{letter}" for letter in "abcdefghijklm")
PART2, PART3 = 13, 14
#: Hirschfeld et al. 2000: 7 or more of 13 yes, question 2 yes, question 3 moderate or serious.
PART1_CUTOFF = 7
MODERATE_PROBLEM = 2


def score_mdq(answers: Answers, sex: str | None) -> Result:
    """Apply the MDQ's three-part rule; total is the number of question-1 items answered yes (0-13)."""
    part1 = answers[:13]
    missing = [number for number, value in zip(PART1_NUMBERS, part1, strict=True) if value is None]
    yes = sum(1 for value in part1 if value == 1)
    if answers[PART2] is None and yes >= 2:
        missing.append("2")
    if answers[PART3] is None and yes >= 1:
        missing.append("3")
    if missing:
        return Result("mdq", None, None, None, (), False, extras={"missing_items": missing})
    problem = answers[PART3] or 0
    positive = yes >= PART1_CUTOFF and answers[PART2] == 1 and problem >= MODERATE_PROBLEM
    return Result("mdq", yes, None, positive, extras={"missing_items": []})


MDQ = Instrument(
    code="mdq",
    name="MDQ",
    version="Mood Disorder Questionnaire (Hirschfeld et al., 2000)",
    measures="Screen for bipolar spectrum disorder: lifetime history of manic or hypomanic symptoms.",
    instructions=(
        "Question 1 has 13 yes/no items (1a-1m); question 2 is yes/no; question 3 rates how much "
        "of a problem the symptoms caused. Send null for question 2 when fewer than two items "
        "of question 1 are yes, and for question 3 when none is."
    ),
    items=(
        *(Item(number=n, text=f"Item {n}", options=YES_NO) for n in PART1_NUMBERS),
        Item(number="2", text="Item 2", options=YES_NO),
        Item(number="3", text="Item 3", options=PROBLEM),
    ),
    licence=(
        "Copyright © 2000 by The University of Texas Medical Branch (the form's own notice). "
        "Wording not shipped: neutral labels only."
    ),
    texts_shipped=False,
    source=(
        "Hirschfeld RMA et al. Development and validation of a screening instrument for bipolar "
        "spectrum disorder: the Mood Disorder Questionnaire. Am J Psychiatry 2000;157:1873-1875."
    ),
    scorer=score_mdq,
)
