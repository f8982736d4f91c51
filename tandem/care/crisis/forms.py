"""Forms of crisis coordination; ``actions`` checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.care.crisis.models import SAFETY_PLAN_SECTIONS, AlertLevel, HospitalisationOutcome
from tandem.core.textlimits import NOTE, text_area


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
