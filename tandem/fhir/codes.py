"""Code systems and the code tables that map Tandem's states and kinds to FHIR's."""

from __future__ import annotations

from typing import NamedTuple

from tandem.referrals.models import ReferralStatus as S
from tandem.scheduling.models import AppointmentStatus as A

#: Tandem's own code systems and extensions live under this canonical base.
CANONICAL = "https://tandem.invalid/fhir"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NPI = "http://hl7.org/fhir/sid/us-npi"
UUID_IDENTIFIER = "urn:ietf:rfc:3986"
SECURITY_REDACTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "REDACTED",
    "display": "redacted",
}
REFERRAL_REASON = f"{CANONICAL}/CodeSystem/referral-reason"
RELEASE_CATEGORY = f"{CANONICAL}/CodeSystem/release-category"
PRACTICE_ROLE = f"{CANONICAL}/CodeSystem/practice-role"
BUSINESS_STATUS = f"{CANONICAL}/CodeSystem/referral-business-status"
DECLINE_REASON = f"{CANONICAL}/CodeSystem/decline-reason"
EXT_ELIGIBILITY = f"{CANONICAL}/StructureDefinition/referral-eligibility"

#: Referral state -> (Task.status, businessStatus after the BSeR / 360X business statuses).
TASK_STATUS: dict[str, tuple[str, str]] = {
    S.DRAFT: ("draft", "created"),
    S.SENT: ("requested", "created"),
    S.RECEIVED: ("received", "created"),
    S.INFO_REQUESTED: ("on-hold", "created"),
    S.ACCEPTED: ("accepted", "accepted"),
    S.DECLINED: ("rejected", "declined"),
    S.SCHEDULED: ("in-progress", "event scheduled"),
    S.NO_SHOW: ("in-progress", "scheduled event unattended"),
    S.FIRST_VISIT_DONE: ("in-progress", "event completed"),
    S.CONSULT_NOTE_SENT: ("completed", "fulfillment completed"),
    S.CLOSED: ("completed", "fulfillment completed"),
    S.CANCELLED: ("cancelled", "cancelled"),
}

#: Referral state -> ServiceRequest.status.
SERVICE_REQUEST_STATUS: dict[str, str] = {
    S.DRAFT: "draft",
    S.SENT: "active",
    S.RECEIVED: "active",
    S.INFO_REQUESTED: "active",
    S.ACCEPTED: "active",
    S.SCHEDULED: "active",
    S.NO_SHOW: "active",
    S.FIRST_VISIT_DONE: "active",
    S.CONSULT_NOTE_SENT: "completed",
    S.CLOSED: "completed",
    S.DECLINED: "revoked",
    S.CANCELLED: "revoked",
}

APPOINTMENT_STATUS: dict[str, str] = {
    A.HELD: "proposed",
    A.PENDING: "pending",
    A.CONFIRMED: "booked",
    A.CANCELLED: "cancelled",
    A.EXPIRED: "cancelled",
    A.COMPLETED: "fulfilled",
    A.NO_SHOW: "noshow",
}


class InstrumentLoinc(NamedTuple):
    """LOINC codes of a standard instrument: (code, display) of its panel and total score, items."""

    panel: tuple[str, str]
    total: tuple[str, str]
    items: tuple[str, ...]


#: LOINC for the standard instruments: the panel, the total score and each item in order.
INSTRUMENT_LOINC: dict[str, InstrumentLoinc] = {
    "phq-9": InstrumentLoinc(
        panel=("44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]"),
        total=("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
        items=(
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
        ),
    ),
    "gad-7": InstrumentLoinc(
        panel=("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
        total=(
            "70274-6",
            "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
        ),
        items=(
            "69725-0",
            "68509-9",
            "69733-4",
            "69734-2",
            "69735-9",
            "69689-8",
            "69736-7",
        ),
    ),
}
