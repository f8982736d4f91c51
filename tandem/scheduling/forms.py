"""Forms of the booking pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from tandem.core.usstates import STATE_CHOICES


class SlotChoiceForm(forms.Form):
    """One offered slot, as the slot buttons post it."""

    prescriber = forms.UUIDField()
    starts_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])

    def clean_starts_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["starts_at"]
        if value.tzinfo is None:
            raise forms.ValidationError("Choose one of the offered times.")
        return value


class OfflinePaymentForm(forms.Form):
    agree = forms.BooleanField(
        label="I will pay at my first visit or by invoice",
        error_messages={
            "required": "Tick the box to confirm that you will pay at your first visit or by invoice."
        },
    )


class StripePaymentForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class CheckInForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Choose a state"), *STATE_CHOICES], label="I am now in")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("completed", "Visit took place"), ("no_show", "No-show")])


class TimeOffForm(forms.Form):
    prescriber = forms.ChoiceField(label="Prescriber")
    starts_at = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(
        max_length=100, required=False, label="Note (optional, no client details)"
    )

    def __init__(self, *args: Any, prescribers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["prescriber"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(p.public_id), p.full_name or p.email) for p in prescribers]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must come after the start.")
        return data


class BookForClientForm(forms.Form):
    client = forms.ChoiceField(label="Client")
    prescriber = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput, input_formats=["%Y-%m-%dT%H:%M:%S%z"])

    def __init__(self, *args: Any, clients: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a client")] + [
            (str(c.public_id), f"{c.last_name}, {c.first_name} ({c.date_of_birth:%Y-%m-%d})")
            for c in clients
        ]
