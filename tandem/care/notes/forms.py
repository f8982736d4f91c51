"""Forms of consultation notes; ``actions`` checks the rules and names the field that broke one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from tandem.care.notes.models import WorkUp
from tandem.core.pickers import Picker
from tandem.core.textlimits import LINE, NOTE, text_area


class NoteForm(forms.Form):
    diagnoses = forms.CharField(
        max_length=LINE,
        label="Diagnostic impressions (ICD-10-CM codes)",
        help_text="Codes separated by commas, e.g. F41.0, F32.1; search below to add one.",
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Searched like every other code (tandem/core/pickers.py); typing codes still works.
        self.fields["diagnoses"].picker = Picker(  # type: ignore[attr-defined]
            url=reverse("referrals:icd10"), noun="ICD-10-CM code", multiple=True
        )

    def data_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["diagnoses"] = [c.strip() for c in data["diagnoses"].split(",") if c.strip()]
        data.pop("version", None)
        return data


class AddendumForm(forms.Form):
    text = text_area(NOTE, rows=3, label="Addendum", required=False)
