"""Forms of progress check-ins; ``actions`` checks the rules."""

from __future__ import annotations

from django import forms

from tandem.care.checkins.models import Change, Engagement
from tandem.core.textlimits import NOTE, text_area


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
