"""Forms of the referral pages: parsing and field-level checks only; the rules live in actions."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from tandem.accounts.models import User
from tandem.consent.categories import Category
from tandem.core.pickers import Picker
from tandem.core.textlimits import NOTE, text_area
from tandem.core.usstates import STATE_CHOICES
from tandem.organisations.models import Organisation
from tandem.referrals.models import (
    DeclineReason,
    DiagnosticQuestion,
    Payer,
    PlanType,
    ReferralReason,
    Service,
)
from tandem.referrals.models import ReferralStatus as S

MEDICATION_KINDS = [
    ("psychiatric", "Psychiatric"),
    ("supplement", "Supplement"),
    ("medical", "Medical (non-psychiatric)"),
]


def _required(label: str) -> dict[str, str]:
    return {
        "required": f"Choose the {label.lower()}.",
        "invalid_choice": f"Choose a {label.lower()} from the list.",
    }


class PracticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class StartReferralForm(forms.Form):
    """Step 1: the facts checked against the practice's policy, before anything identifying moves."""

    to_organisation = PracticeChoiceField(
        queryset=Organisation.objects.none(),
        label="Psychiatric practice",
        empty_label="Choose a practice",
        error_messages=_required("Psychiatric practice"),
    )
    visit_state = forms.ChoiceField(
        choices=[("", "Choose a state"), *STATE_CHOICES],
        label="Where the client will be during visits",
        help_text="Telehealth licensing follows where the client is at the time of the visit.",
        error_messages=_required("State"),
    )
    payer = forms.ChoiceField(
        choices=[("", "Choose coverage"), *Payer.choices],
        label="How the client will pay",
        error_messages=_required("Coverage"),
    )
    plan_type = forms.ChoiceField(
        choices=PlanType.choices,
        label="Plan type",
        initial=PlanType.NONE,
        help_text="For commercial insurance: PPO, EPO, HMO…",
        error_messages=_required("Plan type"),
    )
    service = forms.ChoiceField(
        choices=[("", "Choose a service"), *Service.choices],
        label="Service needed",
        error_messages=_required("Service"),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, practices: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = practices  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["idempotency_key"].initial = uuid.uuid4()

    #: Mismatch fields with no input of their own are shown next to the practice.
    MISMATCH_FIELD = {"age": "to_organisation", "practice": "to_organisation"}


def _rows(
    data: QueryDict, prefix: str, names: tuple[str, ...], remove: str | None = None
) -> list[dict[str, str]]:
    """Return the numbered rows ``prefix-N-name`` of a POST in order, without blank or removed ones."""
    indexes = sorted(
        {int(m.group(1)) for key in data if (m := re.fullmatch(rf"{prefix}-(\d+)-\w+", key))}
    )
    rows = []
    for i in indexes:
        row = {name: data.get(f"{prefix}-{i}-{name}", "").strip() for name in names}
        if row[names[0]] and str(i) != remove:
            rows.append(row)
    return rows


class CodesToAdd(forms.Form):
    """The editor's ICD-10-CM picker: codes typed or picked, separated by commas.

    The same searchable picker as the consult note's (tandem/core/pickers.py); without
    JavaScript the codes are typed, and the "Search codes" button still lists them.
    """

    add_diagnoses = forms.CharField(
        label="Add codes",
        required=False,
        max_length=200,
        help_text="Type codes separated by commas (e.g. F41.1, F32.1), or search for them.",
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, auto_id="%s")
        self.fields["add_diagnoses"].picker = Picker(  # type: ignore[attr-defined]
            url=reverse("referrals:icd10"), noun="ICD-10-CM code", multiple=True
        )


class MedicationName(forms.Form):
    """One medication row's name in the editor, with the medication picker of the care pages.

    The field is posted as ``med-<n>-name``, as the rest of the row; supplements and
    medical prescriptions not on the list are typed.
    """

    name = forms.CharField(required=False, max_length=200)

    def __init__(self, *, number: int, initial: dict[str, Any] | None = None) -> None:
        super().__init__(initial=initial, prefix=f"med-{number - 1}", auto_id="%s")
        self.fields["name"].label = f"Medication {number}: name"
        self.fields["name"].picker = Picker(  # type: ignore[attr-defined]
            url=reverse("care:drug_search"), noun="medication"
        )


def parse_packet(data: QueryDict) -> dict[str, Any]:
    """Return the draft's packet fields from the editor's POST, in the shape ``save_draft`` takes.

    Every field is present, so an unticked box or an emptied text is saved as such.
    """
    medications = _rows(data, "med", ("name", "dose", "kind"), data.get("remove_medication"))
    for row in medications:
        row["kind"] = row["kind"] or "psychiatric"
    scores = _rows(data, "score", ("instrument", "score", "date"), data.get("remove_score"))
    diagnoses = [c for c in data.getlist("diagnoses") if c.strip()]
    if add := data.get("add_diagnosis", "").strip():
        diagnoses.append(add)
    # The picker's field (typed, or filled by the search): codes separated by commas.
    diagnoses += [c.strip().upper() for c in data.get("add_diagnoses", "").split(",") if c.strip()]
    if remove := data.get("remove_diagnosis"):
        diagnoses = [c for c in diagnoses if c != remove]
    return {
        "reasons": data.getlist("reasons"),
        "symptoms_tried": data.get("symptoms_tried", "").strip(),
        "diagnostic_questions": data.getlist("diagnostic_questions"),
        "diagnoses": list(dict.fromkeys(diagnoses)),
        "treatment_history": data.get("treatment_history", "").strip(),
        "medications": medications,
        "safety_ideation": data.get("safety_ideation") == "on",
        "safety_self_harm": data.get("safety_self_harm") == "on",
        "safety_psychosis": data.get("safety_psychosis") == "on",
        "safety_hospitalisation": data.get("safety_hospitalisation") == "on",
        "safety_notes": data.get("safety_notes", "").strip(),
        "substance_use": data.get("substance_use", "").strip(),
        "substance_use_part2": data.get("substance_use_part2") == "on",
        "medical_history": data.get("medical_history", "").strip(),
        "recent_scores": scores,
        "contact_preferences": data.get("contact_preferences", "").strip(),
    }


REASON_CHOICES = ReferralReason.choices
QUESTION_CHOICES = DiagnosticQuestion.choices

#: Categories a therapist may file an attachment under (what a release can cover).
ATTACHMENT_CATEGORIES = [
    (c.value, c.label)
    for c in Category
    if c not in (Category.PSYCHOTHERAPY_NOTES, Category.CLINICIAN_MESSAGES)
]


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="PDF document",
        error_messages={"required": "Choose a PDF file to attach."},
    )
    title = forms.CharField(
        max_length=200,
        label="Title",
        help_text="What the document is, e.g. “PHQ-9 history” — it is shown to the practice.",
        error_messages={"required": "Give the document a title."},
    )
    category = forms.ChoiceField(
        choices=[("", "Choose a category"), *ATTACHMENT_CATEGORIES],
        label="Kind of information",
        help_text="The practice sees the document only once a release covers this kind.",
        error_messages=_required("Kind of information"),
    )


#: What the action forms say for each move, by the target state and the side making it.
MOVE_LABELS: dict[str, str] = {
    S.RECEIVED: "Acknowledge receipt",
    S.ACCEPTED: "Accept",
    S.DECLINED: "Decline",
    S.INFO_REQUESTED: "Ask for more information",
    S.SCHEDULED: "Mark scheduled",
    S.FIRST_VISIT_DONE: "First visit done",
    S.NO_SHOW: "Mark no-show",
    S.CONSULT_NOTE_SENT: "Consult note sent",
    S.CLOSED: "Close the referral",
    S.CANCELLED: "Cancel the referral",
}
ANSWER_LABEL = "Send your answer"

NOTE_LABELS: dict[str, str] = {
    S.INFO_REQUESTED: "Your question for the therapist",
    S.DECLINED: "Note for the therapist",
    S.SCHEDULED: "When, and with whom (no client details needed)",
    S.CANCELLED: "Why you are cancelling (optional)",
}


class MoveForm(forms.Form):
    """One move along the loop; which fields show depends on the target state."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    note = text_area(NOTE, rows=3, required=False)
    decline_reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *DeclineReason.choices],
        required=False,
        label="Reason for declining",
    )
    redirect_to = PracticeChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Suggest another practice (optional)",
        empty_label="No suggestion",
    )
    assigned_prescriber = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Prescriber",
        empty_label="Choose later",
    )

    def __init__(
        self,
        *args: Any,
        target: str,
        answering: bool = False,
        redirects: QuerySet[Organisation] | None = None,
        prescribers: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", target)
        super().__init__(*args, **kwargs)
        self.target = target
        self.label = ANSWER_LABEL if answering else MOVE_LABELS[target]
        note = self.fields["note"]
        note.label = "Your answer" if answering else NOTE_LABELS.get(target, "Note (optional)")
        if target != S.DECLINED:
            del self.fields["decline_reason"]
            del self.fields["redirect_to"]
        else:
            self.fields["redirect_to"].queryset = redirects  # type: ignore[attr-defined]
        if target != S.ACCEPTED:
            del self.fields["assigned_prescriber"]
        else:
            field = self.fields["assigned_prescriber"]
            field.queryset = prescribers  # type: ignore[attr-defined]
            field.label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]

    @property
    def danger(self) -> bool:
        return self.target in (S.DECLINED, S.CANCELLED)


#: The editor's field names as the therapist reads them (for error messages).
FIELD_LABELS: dict[str, str] = {
    "reasons": "Reasons for referral",
    "symptoms_tried": "What was tried, and for how long",
    "diagnostic_questions": "Diagnostic question",
    "diagnoses": "Diagnoses (ICD-10-CM)",
    "treatment_history": "Treatment history and response",
    "medications": "Current medications",
    "safety_notes": "Safety notes",
    "substance_use": "Substance use",
    "medical_history": "Medical history",
    "recent_scores": "Recent questionnaire scores",
    "contact_preferences": "How the practice should reach you",
}

#: Where the editor scrolls back to after a no-JS button.
ANCHORS: dict[str, str] = {
    "add_medication": "#medications",
    "remove_medication": "#medications",
    "add_score": "#scores",
    "remove_score": "#scores",
    "add_diagnosis": "#diagnoses",
    "remove_diagnosis": "#diagnoses",
}

DONE_MESSAGES: dict[str, str] = {
    S.RECEIVED: "Done. The referral is back with the practice.",
    S.ACCEPTED: "Accepted. The therapist has been told.",
    S.DECLINED: "Declined. The therapist has been told the reason.",
    S.INFO_REQUESTED: "Your question was sent to the therapist.",
    S.SCHEDULED: "Marked scheduled.",
    S.FIRST_VISIT_DONE: "First visit recorded.",
    S.NO_SHOW: "No-show recorded.",
    S.CONSULT_NOTE_SENT: "Consult note recorded as sent.",
    S.CLOSED: "The referral is closed.",
    S.CANCELLED: "The referral is cancelled. The practice has been told.",
}


def max_upload_mb() -> int:
    """Return the upload cap in whole megabytes, for the help text."""
    return int(settings.MAX_UPLOAD_BYTES // (1024 * 1024))
