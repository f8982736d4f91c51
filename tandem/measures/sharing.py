"""Under which consent category and purpose measurement records travel to other practices.

Shared by the writes (``actions`` disclose under them) and the reads (``selectors``
gate by them), so neither needs the other.
"""

from tandem.consent.categories import Category, Purpose

#: The consent category every measurement record is shared under.
CATEGORY = Category.QUESTIONNAIRES
#: A case review's recommendations are the psychiatric consultant's advice on the
#: treatment plan, so they travel as consultation notes (the timeline judges them so).
CASE_REVIEW_CATEGORY = Category.CONSULT_NOTES
PURPOSE = Purpose.TREATMENT_COORDINATION
