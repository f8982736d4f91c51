"""The PTSD Checklist for DSM-5 (PCL-5), past-month version.

Source: Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The
PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013
(www.ptsd.va.gov); Blevins CA, Weathers FW, Davis MT, Witte TK, Domino JL.
J Trauma Stress 2015;28:489-498; Bovin MJ, Marx BP, Weathers FW, et al.
Psychol Assess 2016;28:1379-1391.

Scoring (National Center for PTSD): the total is the sum of the 20 items
(0-80). "A PCL-5 cutoff score between 31-33 is indicative of probable PTSD
across samples." Tandem uses 33, the upper end of that range (the cut-off
Bovin et al. 2016 found in veterans), so a positive screen is 33 or more.
The National Center for PTSD also gives a DSM-5 rule: an item rated 2
("Moderately") or higher counts as a symptom, and a provisional diagnosis needs
at least 1 item from cluster B (1-5), 1 from C (6-7), 2 from D (8-14) and 2
from E (15-20); it is reported beside the total.

Missing items: we found no missing-data rule from the National Center for PTSD,
so a PCL-5 with any item blank is incomplete (no total).

Licence: a work of the US Department of Veterans Affairs, in the public domain.
"""

from tandem.measures.instruments.base import (
    Answers,
    Instrument,
    Item,
    Option,
    Result,
    missing_items,
)

SEVERITY = (
    Option(0, "Not at all"),
    Option(1, "A little bit"),
    Option(2, "Moderately"),
    Option(3, "Quite a bit"),
    Option(4, "Extremely"),
)

TEXTS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or have "
    "loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)

#: National Center for PTSD: 31-33 indicates probable PTSD; Tandem takes 33.
CUTOFF = 33
#: DSM-5 clusters as item ranges (1-based, inclusive) and the symptoms each needs.
CLUSTERS = {"B": (1, 5, 1), "C": (6, 7, 1), "D": (8, 14, 2), "E": (15, 20, 2)}
#: An item rated "Moderately" (2) or more counts as an endorsed symptom.
SYMPTOM_FROM = 2


def score_pcl5(answers: Answers, sex: str | None) -> Result:
    """Sum the 20 items (0-80); positive at 33 or more; incomplete if any item is blank."""
    missing = missing_items(PCL5, answers)
    if missing:
        return Result("pcl-5", None, None, None, (), False, extras={"missing_items": missing})
    values = [v or 0 for v in answers]
    clusters = {name: sum(values[first - 1 : last]) for name, (first, last, _) in CLUSTERS.items()}
    dsm5_rule_met = all(
        sum(1 for v in values[first - 1 : last] if v >= SYMPTOM_FROM) >= needed
        for first, last, needed in CLUSTERS.values()
    )
    total = sum(values)
    return Result(
        "pcl-5",
        total,
        None,
        total >= CUTOFF,
        extras={"missing_items": [], "clusters": clusters, "dsm5_rule_met": dsm5_rule_met},
    )


PCL5 = Instrument(
    code="pcl-5",
    name="PCL-5",
    version="PCL-5, past month (Weathers et al., 2013)",
    measures="The 20 DSM-5 symptoms of PTSD over the past month, and their severity.",
    instructions=(
        "Keeping your worst event in mind, in the past month, how much were you bothered by:"
    ),
    items=tuple(
        Item(number=str(n), text=text, options=SEVERITY) for n, text in enumerate(TEXTS, start=1)
    ),
    licence="Public domain: a work of the US Department of Veterans Affairs, National Center for PTSD.",
    texts_shipped=True,
    source=(
        "Weathers FW et al. The PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013; "
        "Bovin MJ et al. Psychol Assess 2016;28:1379-1391."
    ),
    scorer=score_pcl5,
)
