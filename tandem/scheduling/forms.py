"""Forms of the booking pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tandem.core.usstates import STATE_CHOICES
from tandem.scheduling import actions


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
    """Where the client is for a telehealth visit; checked in ``actions.attest_location``."""

    street = forms.CharField(
        label="Street address where you are now",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    city = forms.CharField(
        label="City or town",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    state = forms.ChoiceField(
        choices=[("", "Choose a state"), *STATE_CHOICES], label="State", required=False
    )
    callback_phone = forms.CharField(
        label="Callback number",
        required=False,
        max_length=30,
        help_text="If the video drops, the prescriber calls you here.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    emergency_name = forms.CharField(
        label="Emergency contact: name", required=False, max_length=100
    )
    emergency_relationship = forms.CharField(
        label="Emergency contact: relationship to you",
        required=False,
        max_length=50,
        help_text="e.g. sister, friend",
    )
    emergency_phone = forms.CharField(
        label="Emergency contact: phone",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("completed", "Visit took place"), ("no_show", "No-show")])


class PracticeDateTimeField(forms.DateTimeField):
    """A wall-clock date and time read in the practice's time zone (not the viewer's).

    A time that the daylight-saving change skips or repeats is refused with the
    reason in plain words, instead of being silently moved by an hour.
    """

    zone: ZoneInfo | None = None

    def clean(self, value: Any) -> Any:
        with timezone.override(self.zone or timezone.get_current_timezone()):
            try:
                return super().clean(value)
            except forms.ValidationError as error:
                if getattr(error, "code", "") != "ambiguous_timezone":
                    raise
                raise forms.ValidationError(self._explain(value), code="dst") from None

    def _explain(self, value: Any) -> str:
        zone = self.zone or timezone.get_current_timezone()
        naive = parse_datetime(str(value).strip().replace(" ", "T"))
        if naive is None:  # pragma: no cover - Django parsed it a moment ago
            return f"{self.label}: that time does not exist or happens twice in {zone}."
        when = f"{naive:%-I:%M %p} on {naive:%b %-d, %Y}"
        round_trip = naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
        if round_trip.replace(tzinfo=None) != naive:
            return (
                f"{self.label}: {when} does not exist — the clocks go forward that night. "
                "Choose a time after the change."
            )
        return (
            f"{self.label}: {when} happens twice — the clocks go back that night. "
            "Choose a time outside that hour."
        )


class TimeOffForm(forms.Form):
    """A prescriber's time off, its start and end read in the practice's time zone."""

    prescriber = forms.ChoiceField(label="Prescriber")
    starts_at = PracticeDateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = PracticeDateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(
        max_length=100, required=False, label="Note (optional, no client details)"
    )

    def __init__(
        self, *args: Any, prescribers: list[Any], zone: ZoneInfo | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prescribers = prescribers
        field = self.fields["prescriber"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(p.public_id), p.full_name or p.email) for p in prescribers]
        for name in ("starts_at", "ends_at"):
            when = self.fields[name]
            assert isinstance(when, PracticeDateTimeField)
            when.zone = zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must come after the start.")
        return data

    def add(self, *, actor: Any, organisation: Any) -> list[Any]:
        """Add the valid form's time off; return the booked appointments it overlaps."""
        data = self.cleaned_data
        who = next(p for p in self.prescribers if str(p.public_id) == data["prescriber"])
        _, clashes = actions.add_time_off(
            actor=actor,
            organisation=organisation,
            prescriber=who,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
        )
        return list(clashes)


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
