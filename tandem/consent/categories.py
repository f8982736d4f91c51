"""What a release can cover: the categories of information, and the purposes."""

from django.db import models


class Category(models.TextChoices):
    DIAGNOSIS = "diagnosis", "Diagnosis and diagnostic considerations"
    TREATMENT_HISTORY = "treatment_history", "Treatment history and response"
    MEDICATIONS = "medications", "Current medications"
    SAFETY = "safety", "Safety and risk information"
    SUBSTANCE_USE = "substance_use", "Substance use (not covered by 42 CFR Part 2)"
    PART2_RECORDS = "part2_records", "Substance use disorder treatment records (42 CFR Part 2)"
    MEDICAL_HISTORY = "medical_history", "Medical history"
    QUESTIONNAIRES = "questionnaires", "Questionnaire results"
    ATTENDANCE = "attendance", "Appointment attendance"
    CONSULT_NOTES = "consult_notes", "Consultation notes"
    PROGRESS_UPDATES = "progress_updates", "Progress updates"
    CLINICIAN_MESSAGES = "clinician_messages", "Messages between clinicians"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Psychotherapy notes"


#: Categories a general release may cover. Psychotherapy notes need a release of their own
#: (45 CFR 164.508(a)(2)); Part 2 records need a Part 2 consent (42 CFR 2.31).
GENERAL_CATEGORIES = frozenset(Category) - {Category.PSYCHOTHERAPY_NOTES, Category.PART2_RECORDS}


class Purpose(models.TextChoices):
    TREATMENT_COORDINATION = "treatment_coordination", "Coordination of treatment"
    REFERRAL = "referral", "Referral for psychiatric evaluation"
    #: A release's purpose only: a disclosure is made for one of the two it names.
    REFERRAL_AND_COORDINATION = (
        "referral_and_coordination",
        "Referral for psychiatric evaluation, then ongoing coordination of treatment",
    )
    SECOND_OPINION = "second_opinion", "Second opinion"
    AT_CLIENT_REQUEST = "client_request", "At the client's request"


#: The purposes a release honours, by the purpose it states: exactly those, nothing wider
#: (a referral-only release does not turn into a year of coordination of treatment).
PURPOSES_COVERED: dict[str, frozenset[str]] = {
    **{p.value: frozenset({p.value}) for p in Purpose},
    Purpose.REFERRAL_AND_COORDINATION: frozenset(
        {Purpose.REFERRAL, Purpose.TREATMENT_COORDINATION}
    ),
}
#: The purposes one disclosure can be made for.
DISCLOSURE_PURPOSES = frozenset(Purpose) - {Purpose.REFERRAL_AND_COORDINATION}


class LegalBasis(models.TextChoices):
    """The legal basis a clinician records to disclose for treatment after the client revoked."""

    TREATMENT = (
        "treatment",
        "Treatment: the recipient treats the client and needs this to treat them "
        "(45 CFR 164.506(c)(2))",
    )


class ExpiryEvent(models.TextChoices):
    END_OF_TREATMENT = "end_of_treatment", "The end of my treatment with the recipient"
    END_OF_REFERRAL = "end_of_referral", "The end of this referral"


#: The notice that must accompany every disclosure of Part 2 records (42 CFR 2.32(a)(1), as
#: amended in 2024), word for word: recipients see it wherever they see Part 2 information,
#: and each disclosure row of Part 2 information stores the exact text that went with it.
PART2_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, in any civil, criminal, "
    "administrative, or legislative proceedings by any Federal, State, or local authority, "
    "against the patient, unless authorized by the consent of the patient, except as provided "
    "at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. "
    "In addition, the Federal rules prohibit you from making any other use or disclosure of "
    "this record unless at least one of the following applies: (A) Further use or disclosure "
    "is expressly permitted by the written consent of the individual whose information is being "
    "disclosed in this record or as otherwise permitted by 42 CFR part 2. (B) You are a covered "
    "entity or business associate and have received the record for treatment, payment, or "
    "health care operations, or (C) You have received the record from a covered entity or "
    "business associate as permitted by 45 CFR part 164, subparts A and E. A general "
    "authorization for the release of medical or other information is NOT sufficient to meet "
    "the required elements of written consent to further use or redisclose the record "
    "(see 42 CFR 2.31)."
)

#: The abbreviated statutory form (42 CFR 2.32(a)(2)), for where the full text cannot fit.
PART2_NOTICE_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
