"""The visit plan form; ``actions.set_visit_plan`` checks the rules."""

from __future__ import annotations

from django import forms


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
