"""The prescriber's medication form; ``actions.record_medication`` checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from tandem.care.medications import drugs
from tandem.care.medications.models import MedicationChange
from tandem.core.pickers import Picker
from tandem.core.textlimits import NOTE, text_area


class MedicationForm(forms.Form):
    change = forms.ChoiceField(label="Kind of change", choices=MedicationChange.choices)
    drug = forms.ChoiceField(label="Medication", choices=[("", "Choose…"), *drugs.choices()])

    dose = forms.CharField(max_length=20, required=False, help_text="A number, e.g. 50 or 0.5.")
    unit = forms.ChoiceField(choices=[("", "—"), *[(u, u) for u in drugs.UNITS]], required=False)
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The list stays a plain select (it works without JS); the search finds in it.
        self.fields["drug"].picker = Picker(  # type: ignore[attr-defined]
            url=reverse("care:drug_search"), noun="medication"
        )
