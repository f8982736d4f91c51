"""Every band boundary and every flag of every instrument, each expected value with its source.

Sources named in the ids:
  Kroenke2001   Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606 (PHQ-9 bands, cut-off 10)
  Kroenke2003   Kroenke, Spitzer & Williams, Med Care 2003;41:1284 (PHQ-2 cut-off 3)
  Kroenke2010   Kroenke et al., Gen Hosp Psychiatry 2010;32:345 and the PHQ manual (prorating)
  Spitzer2006   Spitzer et al., Arch Intern Med 2006;166:1092 (GAD-7 bands, cut-off 10)
  Kroenke2007   Kroenke et al., Ann Intern Med 2007;146:317 (GAD-2 cut-off 3)
  Columbia      Columbia Lighthouse Project, C-SSRS screener with triage points
  Kessler2005   Kessler et al., Psychol Med 2005;35:245 and the ASRS v1.1 scoring instructions
  Hirschfeld2000  Hirschfeld et al., Am J Psychiatry 2000;157:1873 (MDQ three-part rule)
  Bush1998      Bush et al., Arch Intern Med 1998;158:1789 (AUDIT-C men >= 4)
  Bradley2003   Bradley et al., Arch Intern Med 2003;163:821 (AUDIT-C women >= 3)
  NCPTSD        National Center for PTSD, PCL-5 scoring (31-33; Tandem takes 33) and DSM-5 rule
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.measures.instruments import INSTRUMENTS, ScoringError, get_instrument
from tandem.measures.instruments.phq import PHQ9_BANDS


def spread(total: int, items: int, item_max: int) -> list[int | None]:
    """Return ``items`` answers adding up to ``total``, filled from the first item."""
    answers: list[int | None] = []
    left = total
    for _ in range(items):
        value = min(item_max, left)
        answers.append(value)
        left -= value
    assert left == 0
    return answers


def phq9(total: int, item9: int = 0) -> list[int | None]:
    return [*spread(total - item9, 8, 3), item9]


def score(code: str, answers: list, sex: str | None = None):
    return get_instrument(code).score(answers, sex)


# --- PHQ-9 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [
        pytest.param(0, "minimal", False, id="0-minimal-Kroenke2001"),
        pytest.param(4, "minimal", False, id="4-minimal-Kroenke2001"),
        pytest.param(5, "mild", False, id="5-mild-Kroenke2001"),
        pytest.param(9, "mild", False, id="9-mild-below-cutoff-Kroenke2001"),
        pytest.param(10, "moderate", True, id="10-moderate-at-cutoff-Kroenke2001"),
        pytest.param(14, "moderate", True, id="14-moderate-Kroenke2001"),
        pytest.param(15, "moderately severe", True, id="15-moderately-severe-Kroenke2001"),
        pytest.param(19, "moderately severe", True, id="19-moderately-severe-Kroenke2001"),
        pytest.param(20, "severe", True, id="20-severe-Kroenke2001"),
        pytest.param(24, "severe", True, id="24-severe-Kroenke2001"),
    ],
)
def test_phq9_total_falls_in_its_published_band(total, band, positive):
    # Given nine answers adding up to the total, item 9 at 0
    # When scored
    result = score("phq-9", phq9(total))

    # Then the band and the positive screen are the published ones, with no flag
    assert (result.total, result.band, result.positive) == (total, band, positive)
    assert result.flags == ()
    assert result.complete is True
    assert result.prorated is False


def test_phq9_maximum_27_is_severe_and_flags_item_9():
    # Given every item "nearly every day" (Kroenke2001: 20-27 severe)
    result = score("phq-9", [3] * 9)

    assert (result.total, result.band, result.positive) == (27, "severe", True)
    assert result.flags == ("suicide_item_positive",)


def test_phq9_item_9_of_1_with_total_3_raises_the_flag_in_the_minimal_band():
    # Given a total of 3 whose only item-9 answer is "several days" (the case)
    result = score("phq-9", [1, 1, 0, 0, 0, 0, 0, 0, 1])

    # Then the band is minimal, but any answer above 0 on item 9 raises the flag
    assert (result.total, result.band, result.positive) == (3, "minimal", False)
    assert result.flags == ("suicide_item_positive",)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_every_positive_item_9_value_raises_the_flag(item9):
    result = score("phq-9", [0] * 8 + [item9])

    assert result.flags == ("suicide_item_positive",)


def test_phq9_difficulty_question_is_recorded_but_not_added():
    # Given the tenth, difficulty, answer "extremely difficult" (Kroenke2001: not scored)
    result = score("phq-9", [0] * 9 + [3])

    assert result.total == 0
    assert result.extras["difficulty"] == 3


@pytest.mark.parametrize(
    ("answers", "total", "band", "missing"),
    [
        # 10 x 9 / 8 = 11.25 -> 11
        pytest.param(
            [3, 3, 3, 1, 0, 0, 0, 0, None], 11, "moderate", ["9"], id="one-missing-Kroenke2010"
        ),
        # 7 x 9 / 7 = 9
        pytest.param(
            [1, 1, 1, 1, 1, 1, 1, None, None], 9, "mild", ["8", "9"], id="two-missing-Kroenke2010"
        ),
        # 4 x 9 / 8 = 4.5 -> 5: rounded half up, which moves it from minimal to mild
        pytest.param(
            [1, 1, 1, 1, None, 0, 0, 0, 0], 5, "mild", ["5"], id="half-rounds-up-Kroenke2010"
        ),
    ],
)
def test_phq9_prorates_when_no_more_than_two_items_are_missing(answers, total, band, missing):
    result = score("phq-9", answers)

    assert (result.total, result.band) == (total, band)
    assert result.prorated is True
    assert result.complete is False
    assert result.extras["missing_items"] == missing


def test_phq9_blank_item_9_asks_someone_to_follow_up():
    result = score("phq-9", [1, 1, 1, 1, 1, 1, 1, 1, None])

    assert result.flags == ("suicide_item_unanswered",)
    assert result.total == 9


def test_phq9_with_three_missing_is_incomplete_but_keeps_the_safety_flag():
    # Given three blanks, and item 9 answered "more than half the days"
    result = score("phq-9", [3, 3, 3, None, None, None, 0, 0, 2])

    # Then no total (Kroenke2010: more than two missing is not scored), never a zero
    assert (result.total, result.band, result.positive) == (None, None, None)
    assert result.complete is False
    assert result.flags == ("suicide_item_positive",)


@given(
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
)
def test_phq9_total_is_the_sum_and_the_band_never_falls_as_the_total_rises(first, second):
    ranks = [label for _, _, label in PHQ9_BANDS]
    a, b = score("phq-9", first), score("phq-9", second)

    assert a.total == sum(first)
    assert b.total == sum(second)
    if a.total <= b.total:
        assert ranks.index(a.band) <= ranks.index(b.band)
    assert ("suicide_item_positive" in a.flags) == (first[8] > 0)


# --- PHQ-2 and GAD-2 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "total", "positive"),
    [
        pytest.param("phq-2", [1, 1], 2, False, id="phq2-2-negative-Kroenke2003"),
        pytest.param("phq-2", [2, 1], 3, True, id="phq2-3-positive-Kroenke2003"),
        pytest.param("phq-2", [3, 3], 6, True, id="phq2-6-positive-Kroenke2003"),
        pytest.param("gad-2", [0, 2], 2, False, id="gad2-2-negative-Kroenke2007"),
        pytest.param("gad-2", [3, 0], 3, True, id="gad2-3-positive-Kroenke2007"),
        pytest.param("gad-2", [0, 0], 0, False, id="gad2-0-negative-Kroenke2007"),
    ],
)
def test_two_item_screens_are_positive_at_three(code, answers, total, positive):
    result = score(code, answers)

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        None,
        positive,
        True,
    )


@pytest.mark.parametrize("code", ["phq-2", "gad-2"])
def test_two_item_screens_with_a_blank_are_incomplete(code):
    result = score(code, [3, None])

    assert (result.total, result.positive, result.complete) == (None, None, False)
    assert result.extras["missing_items"] == ["2"]


# --- GAD-7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [
        pytest.param(0, "minimal", False, id="0-minimal-Spitzer2006"),
        pytest.param(4, "minimal", False, id="4-minimal-Spitzer2006"),
        pytest.param(5, "mild", False, id="5-mild-Spitzer2006"),
        pytest.param(9, "mild", False, id="9-mild-below-cutoff-Spitzer2006"),
        pytest.param(10, "moderate", True, id="10-moderate-at-cutoff-Spitzer2006"),
        pytest.param(14, "moderate", True, id="14-moderate-Spitzer2006"),
        pytest.param(15, "severe", True, id="15-severe-Spitzer2006"),
        pytest.param(21, "severe", True, id="21-severe-Spitzer2006"),
    ],
)
def test_gad7_total_falls_in_its_published_band(total, band, positive):
    result = score("gad-7", spread(total, 7, 3))

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        band,
        positive,
        True,
    )


def test_gad7_with_one_blank_is_incomplete_because_its_authors_publish_no_prorating():
    result = score("gad-7", [3, 3, 3, 3, 3, 3, None])

    assert (result.total, result.band, result.positive, result.complete) == (
        None,
        None,
        None,
        False,
    )
    assert result.prorated is False


def test_gad7_difficulty_question_is_recorded_but_not_added():
    result = score("gad-7", [1] * 7 + [2])

    assert result.total == 7
    assert result.extras["difficulty"] == 2


# --- C-SSRS screener --------------------------------------------------------------------------

N = None


@pytest.mark.parametrize(
    ("answers", "band", "flags"),
    [
        pytest.param([0, 0, N, N, N, 0, N], "no risk identified", (), id="all-no-Columbia"),
        pytest.param(
            [1, 0, N, N, N, 0, N], "low risk", ("suicide_risk_low",), id="q1-low-Columbia"
        ),
        pytest.param(
            [0, 1, 0, 0, 0, 0, N], "low risk", ("suicide_risk_low",), id="q2-low-Columbia"
        ),
        pytest.param(
            [1, 1, 1, 0, 0, 0, N],
            "moderate risk",
            ("suicide_risk_moderate",),
            id="q3-moderate-Columbia",
        ),
        pytest.param(
            [1, 1, 1, 1, 0, 0, N], "high risk", ("suicide_risk_high",), id="q4-high-Columbia"
        ),
        pytest.param(
            [1, 1, 0, 0, 1, 0, N], "high risk", ("suicide_risk_high",), id="q5-high-Columbia"
        ),
        pytest.param(
            [0, 0, N, N, N, 1, 0],
            "moderate risk",
            ("suicide_risk_moderate",),
            id="q6-over-3-months-moderate-Columbia",
        ),
        pytest.param(
            [0, 0, N, N, N, 1, 1],
            "high risk",
            ("suicide_risk_high", "suicidal_behaviour_past_3_months"),
            id="q6-past-3-months-high-Columbia",
        ),
    ],
)
def test_cssrs_screener_triages_by_which_questions_are_yes(answers, band, flags):
    result = score("c-ssrs-screen", answers)

    assert (result.total, result.band, result.flags, result.complete) == (None, band, flags, True)
    assert result.positive is (band != "no risk identified")


@pytest.mark.parametrize(
    ("answers", "field", "question"),
    [
        pytest.param([0, 0, 0, N, N, 0, N], "responses[2]", "3", id="q3-after-no-to-q2"),
        pytest.param([0, 0, N, N, 1, 0, N], "responses[4]", "5", id="q5-after-no-to-q2"),
        pytest.param([0, N, N, 1, N, 0, N], "responses[3]", "4", id="q4-after-blank-q2"),
    ],
)
def test_cssrs_screener_refuses_answers_to_questions_3_to_5_unless_q2_is_yes(
    answers, field, question
):
    with pytest.raises(ScoringError) as raised:
        score("c-ssrs-screen", answers)

    assert raised.value.field == field
    assert raised.value.message == (
        f"C-SSRS screener question {question} is asked only after a yes to question 2; "
        "leave it null unless question 2 is yes."
    )


def test_cssrs_screener_refuses_the_past_3_months_question_after_no_to_q6():
    with pytest.raises(ScoringError) as raised:
        score("c-ssrs-screen", [0, 0, N, N, N, 0, 1])

    assert raised.value.field == "responses[6]"
    assert "asked only after a yes to question 6" in raised.value.message


def test_cssrs_screener_q2_yes_with_q3_to_5_blank_is_incomplete_but_already_positive():
    result = score("c-ssrs-screen", [0, 1, N, N, N, 0, N])

    assert (result.band, result.positive, result.complete) == (None, True, False)
    assert result.flags == ("suicide_risk_low",)
    assert result.extras["missing_items"] == ["3", "4", "5"]


def test_cssrs_screener_high_risk_stands_even_with_a_blank_elsewhere():
    # Given a yes to question 4 and question 6 yes with its past-3-months follow-up blank
    result = score("c-ssrs-screen", [1, 1, 0, 1, 0, 1, N])

    # Then no blank could lower the risk: high risk is reported, and the form is incomplete
    assert (result.band, result.positive, result.complete) == ("high risk", True, False)
    assert result.flags == ("suicide_risk_high",)
    assert result.extras["missing_items"] == ["6b"]


def test_cssrs_screener_with_q1_blank_and_no_yes_is_incomplete_with_no_verdict():
    result = score("c-ssrs-screen", [N, 0, N, N, N, 0, N])

    assert (result.band, result.positive, result.complete, result.flags) == (None, None, False, ())


# --- ASRS v1.1 Part A -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        # Items 1-3 shaded from "sometimes" (2), items 4-6 from "often" (3).
        pytest.param([1, 1, 1, 2, 2, 2], 0, False, id="just-below-every-threshold-Kessler2005"),
        pytest.param([2, 2, 2, 2, 2, 2], 3, False, id="sometimes-counts-only-for-1-3-Kessler2005"),
        pytest.param([2, 2, 2, 3, 2, 2], 4, True, id="four-shaded-positive-Kessler2005"),
        pytest.param([1, 1, 1, 3, 3, 3], 3, False, id="three-shaded-negative-Kessler2005"),
        pytest.param([4, 4, 4, 4, 4, 4], 6, True, id="six-shaded-positive-Kessler2005"),
    ],
)
def test_asrs_part_a_counts_answers_in_shaded_boxes(answers, total, positive):
    result = score("asrs-a", answers)

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        None,
        positive,
        True,
    )


def test_asrs_part_a_with_a_blank_is_incomplete():
    result = score("asrs-a", [4, 4, 4, 4, None, 0])

    assert (result.total, result.positive, result.complete) == (None, None, False)


# --- MDQ --------------------------------------------------------------------------------------


def mdq(yes: int, together: int | None, problem: int | None) -> list[int | None]:
    return [1] * yes + [0] * (13 - yes) + [together, problem]


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        pytest.param(mdq(7, 1, 2), 7, True, id="7-yes-together-moderate-positive-Hirschfeld2000"),
        pytest.param(mdq(7, 1, 3), 7, True, id="7-yes-together-serious-positive-Hirschfeld2000"),
        pytest.param(mdq(7, 1, 0), 7, False, id="7-yes-but-no-problem-negative-Hirschfeld2000"),
        pytest.param(mdq(7, 1, 1), 7, False, id="7-yes-minor-problem-negative-Hirschfeld2000"),
        pytest.param(mdq(6, 1, 3), 6, False, id="6-yes-negative-Hirschfeld2000"),
        pytest.param(mdq(7, 0, 3), 7, False, id="not-together-negative-Hirschfeld2000"),
        pytest.param(mdq(13, 1, 3), 13, True, id="13-yes-positive-Hirschfeld2000"),
        pytest.param(mdq(1, None, 1), 1, False, id="one-yes-q2-skipped-per-form"),
        pytest.param(mdq(0, None, None), 0, False, id="no-yes-q2-q3-skipped-per-form"),
    ],
)
def test_mdq_needs_all_three_parts_for_a_positive_screen(answers, total, positive):
    result = score("mdq", answers)

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        None,
        positive,
        True,
    )


@pytest.mark.parametrize(
    ("answers", "missing"),
    [
        pytest.param(mdq(2, None, 2), ["2"], id="q2-blank-after-two-yes"),
        pytest.param(mdq(8, 1, None), ["3"], id="q3-blank-after-a-yes"),
        pytest.param([None, *mdq(7, 1, 3)[1:]], ["1a"], id="part-1-item-blank"),
    ],
)
def test_mdq_blank_answers_the_form_requires_leave_it_incomplete(answers, missing):
    result = score("mdq", answers)

    assert (result.total, result.positive, result.complete) == (None, None, False)
    assert result.extras["missing_items"] == missing


# --- AUDIT-C ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "sex", "total", "positive"),
    [
        pytest.param([2, 1, 0], "male", 3, False, id="male-3-negative-Bush1998"),
        pytest.param([2, 1, 1], "male", 4, True, id="male-4-positive-Bush1998"),
        pytest.param([1, 1, 0], "female", 2, False, id="female-2-negative-Bradley2003"),
        pytest.param([1, 1, 1], "female", 3, True, id="female-3-positive-Bradley2003"),
        pytest.param([0, 0, 0], "female", 0, False, id="female-0-negative-Bradley2003"),
        pytest.param([4, 4, 4], "male", 12, True, id="male-12-positive-Bush1998"),
    ],
)
def test_audit_c_uses_the_sex_specific_cutoff(answers, sex, total, positive):
    result = score("audit-c", answers, sex)

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        None,
        positive,
        True,
    )


@pytest.mark.parametrize("sex", [None, "", "other", "F"])
def test_audit_c_without_a_known_sex_names_the_field(sex):
    with pytest.raises(ScoringError) as raised:
        score("audit-c", [1, 1, 1], sex)

    assert raised.value.field == "sex"
    assert raised.value.message == (
        "AUDIT-C needs sex ('female' or 'male') because its published cut-offs differ by sex; "
        f"got {sex!r}."
    )


def test_audit_c_with_a_blank_is_incomplete():
    result = score("audit-c", [4, None, 0], "male")

    assert (result.total, result.positive, result.complete) == (None, None, False)


# --- PCL-5 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "positive"),
    [
        pytest.param(0, False, id="0-negative-NCPTSD"),
        pytest.param(32, False, id="32-negative-NCPTSD-cutoff-33"),
        pytest.param(33, True, id="33-positive-NCPTSD-cutoff-33"),
        pytest.param(80, True, id="80-positive-NCPTSD"),
    ],
)
def test_pcl5_is_positive_from_33(total, positive):
    result = score("pcl-5", spread(total, 20, 4))

    assert (result.total, result.band, result.positive, result.complete) == (
        total,
        None,
        positive,
        True,
    )


def test_pcl5_reports_cluster_severities_and_the_dsm5_rule():
    # Given 2 ("moderately") on items 1, 6, 8, 9, 15 and 16 and 0 elsewhere (NCPTSD DSM-5 rule:
    # B >= 1, C >= 1, D >= 2, E >= 2 items rated 2 or more)
    answers = [0] * 20
    for number in (1, 6, 8, 9, 15, 16):
        answers[number - 1] = 2
    result = score("pcl-5", answers)

    assert result.total == 12
    assert result.positive is False
    assert result.extras["clusters"] == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert result.extras["dsm5_rule_met"] is True

    # And one cluster short of its count fails the rule
    answers[16 - 1] = 1
    assert score("pcl-5", answers).extras["dsm5_rule_met"] is False


def test_pcl5_with_a_blank_is_incomplete():
    result = score("pcl-5", [4] * 19 + [None])

    assert (result.total, result.positive, result.complete) == (None, None, False)


# --- Bad input (shared by every instrument) ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("phq-9", [0] * 8, "PHQ-9 takes 9 or 10 answers, one per item in order; got 8."),
        ("phq-9", [0] * 11, "PHQ-9 takes 9 or 10 answers, one per item in order; got 11."),
        ("gad-7", [0] * 6, "GAD-7 takes 7 or 8 answers, one per item in order; got 6."),
        ("pcl-5", [0] * 19, "PCL-5 takes 20 answers, one per item in order; got 19."),
        (
            "c-ssrs-screen",
            [0] * 6,
            "C-SSRS screener takes 7 answers, one per item in order; got 6.",
        ),
    ],
)
def test_wrong_number_of_answers_names_the_rule(code, answers, message):
    with pytest.raises(ScoringError) as raised:
        score(code, answers)

    assert (raised.value.field, raised.value.message) == ("responses", message)


@pytest.mark.parametrize(
    ("code", "answers", "field", "message"),
    [
        (
            "phq-9",
            [0, 0, 4, 0, 0, 0, 0, 0, 0],
            "responses[2]",
            "PHQ-9 item 3: the answer must be one of 0, 1, 2, 3; got 4.",
        ),
        (
            "phq-9",
            [-1, 0, 0, 0, 0, 0, 0, 0, 0],
            "responses[0]",
            "PHQ-9 item 1: the answer must be one of 0, 1, 2, 3; got -1.",
        ),
        (
            "phq-9",
            [0] * 9 + [4],
            "responses[9]",
            "PHQ-9 item 10: the answer must be one of 0, 1, 2, 3; got 4.",
        ),
        (
            "pcl-5",
            [5] + [0] * 19,
            "responses[0]",
            "PCL-5 item 1: the answer must be one of 0, 1, 2, 3, 4; got 5.",
        ),
        (
            "mdq",
            [0] * 13 + [2, 0],
            "responses[13]",
            "MDQ item 2: the answer must be one of 0, 1; got 2.",
        ),
        (
            "c-ssrs-screen",
            [2, 0, N, N, N, 0, N],
            "responses[0]",
            "C-SSRS screener item 1: the answer must be one of 0, 1; got 2.",
        ),
    ],
)
def test_out_of_range_answer_names_the_item_and_its_values(code, answers, field, message):
    with pytest.raises(ScoringError) as raised:
        score(code, answers)

    assert (raised.value.field, raised.value.message) == (field, message)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1.5, "1.5"), (2.0, "2.0"), ("2", "'2'"), (True, "True"), ([1], "[1]")],
)
def test_non_integer_answer_names_the_item(value, shown):
    with pytest.raises(ScoringError) as raised:
        score("gad-2", [value, 0])

    assert raised.value.field == "responses[0]"
    assert raised.value.message == (
        f"GAD-2 item 1: the answer must be a whole number (one of 0, 1, 2, 3) or null; got {shown}."
    )


@pytest.mark.parametrize("responses", [None, "0,0", {"1": 0}, 3])
def test_responses_that_are_not_a_list_are_refused(responses):
    with pytest.raises(ScoringError) as raised:
        get_instrument("phq-2").score(responses)

    assert raised.value.field == "responses"
    assert raised.value.message.startswith("PHQ-2: responses must be a list")


def test_unknown_code_names_the_known_ones():
    with pytest.raises(ScoringError) as raised:
        get_instrument("phq-8")

    assert raised.value.field == "code"
    assert raised.value.message == (
        "Unknown instrument 'phq-8'; known codes: phq-9, phq-2, gad-7, gad-2, c-ssrs-screen, "
        "asrs-a, mdq, audit-c, pcl-5."
    )


# --- Licences -----------------------------------------------------------------------------------


def test_instruments_whose_wording_we_may_not_ship_carry_only_neutral_labels():
    unshipped = {code for code, i in INSTRUMENTS.items() if not i.texts_shipped}

    assert unshipped == {"c-ssrs-screen", "asrs-a", "mdq"}
    for code in unshipped:
        for item in INSTRUMENTS[code].items:
            assert re.fullmatch(
                r"(Item|Question) [0-9a-m]+(, follow-up \(past 3 months\))?", item.text
            ), (
                code,
                item.text,
            )
