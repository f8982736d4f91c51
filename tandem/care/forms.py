"""Forms parse input; the actions validate the rules of care and name the field that broke one."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.care import medications
from tandem.care.models import (
    SAFETY_PLAN_SECTIONS,
    AlertLevel,
    Change,
    Engagement,
    HospitalisationOutcome,
    MedicationChange,
    WorkUp,
)
from tandem.core.textlimits import LINE, MESSAGE, NOTE, text_area


class NoteForm(forms.Form):
    diagnoses = forms.CharField(
        max_length=LINE,
        label="Diagnostic impressions (ICD-10-CM codes)",
        help_text="Codes separated by commas, e.g. F41.0, F32.1.",
        required=False,
    )
    formulation = text_area(NOTE, rows=5, required=False)
    medication_recommendations = text_area(
        NOTE, rows=3, label="Medication recommendations", required=False
    )
    therapy_focus = text_area(
        NOTE, rows=3, label="Suggestions for the therapy's focus", required=False
    )
    work_up = forms.MultipleChoiceField(
        label="Labs and medical work-up",
        choices=WorkUp.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    work_up_notes = text_area(NOTE, rows=2, label="Work-up notes", required=False)
    follow_up_plan = text_area(NOTE, rows=3, label="Follow-up plan", required=False)
    follow_up_cadence = forms.CharField(
        max_length=LINE,
        label="Follow-up cadence",
        help_text="e.g. every 2-3 weeks during the trial.",
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def data_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["diagnoses"] = [c.strip() for c in data["diagnoses"].split(",") if c.strip()]
        data.pop("version", None)
        return data


class AddendumForm(forms.Form):
    text = text_area(NOTE, rows=3, label="Addendum", required=False)


class MedicationForm(forms.Form):
    change = forms.ChoiceField(label="Kind of change", choices=MedicationChange.choices)
    drug = forms.ChoiceField(label="Medication", choices=[("", "Choose…"), *medications.choices()])
    dose = forms.CharField(max_length=20, required=False, help_text="A number, e.g. 50 or 0.5.")
    unit = forms.ChoiceField(
        choices=[("", "—"), *[(u, u) for u in medications.UNITS]], required=False
    )
    frequency = forms.CharField(
        max_length=60, required=False, help_text="e.g. once daily in the morning."
    )
    reason = text_area(NOTE, rows=2, required=False)
    watch_for = text_area(
        NOTE,
        rows=2,
        label="What the therapist might watch for",
        help_text="e.g. activation, sleep change, worsening mood.",
        required=False,
    )


class CadenceForm(forms.Form):
    early_every_days = forms.IntegerField(label="Ask every … days at first", initial=14)
    early_weeks = forms.IntegerField(label="… for the first … weeks", initial=8)
    later_every_days = forms.IntegerField(label="Then every … days", initial=30)
    starts_on = forms.DateField(
        label="First check-in on", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )


class CheckInForm(forms.Form):
    change = forms.ChoiceField(
        label="Change since last time", choices=[("", "Choose…"), *Change.choices], required=False
    )
    functioning = text_area(
        NOTE, rows=3, label="Functioning (work, relationships, daily life)", required=False
    )
    engagement = forms.ChoiceField(
        label="Engagement in therapy",
        choices=[("", "Choose…"), *Engagement.choices],
        required=False,
    )
    adherence_side_effects = text_area(
        NOTE, rows=2, label="Adherence and side effects you noticed", required=False
    )
    concerns = text_area(NOTE, rows=2, required=False)
    free_text = text_area(NOTE, rows=2, label="Anything else", required=False)


class MessageForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False, help_text="No client names needed.")
    body = text_area(MESSAGE, rows=4, label="Message", required=False)
    is_question = forms.BooleanField(
        label="This asks a question (a response is due within 1-2 business days)", required=False
    )
    attachments = forms.FileField(
        required=False,
        help_text="PDF, PNG or JPEG.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class AlertForm(forms.Form):
    level = forms.ChoiceField(choices=[("", "Choose…"), *AlertLevel.choices], required=False)
    summary = text_area(NOTE, rows=3, label="What happened", required=False)
    steps = text_area(NOTE, rows=3, label="Immediate steps taken", required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Hospitalisation assessment",
        choices=[("", "Choose…"), *HospitalisationOutcome.choices],
        required=False,
    )
    follow_up = text_area(NOTE, rows=3, label="Follow-up", required=False)


class SafetyPlanForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, heading in SAFETY_PLAN_SECTIONS.items():
            self.fields[key] = text_area(NOTE, rows=3, label=heading, required=False)


class ShiftForm(forms.Form):
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, label="Prescriber")
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    order = forms.IntegerField(initial=1, help_text="1 is asked first.")

    def __init__(self, *args: Any, prescribers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = prescribers  # type: ignore[attr-defined]


class VisitPlanForm(forms.Form):
    psychiatry_every_weeks = forms.IntegerField(
        label="Psychiatric visits every … weeks",
        help_text="1 to 26; the article's stable client: every 12 to 16 weeks.",
    )
    therapy_every_weeks = forms.IntegerField(
        label="Therapy sessions every … weeks", help_text="1 (weekly) to 8."
    )
    next_psychiatry_due = forms.DateField(
        label="Next psychiatric follow-up due on",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
