"""Forms of the public practice page and of each question the appointment bot asks."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth import password_validation

from tandem.core.textlimits import text_area
from tandem.core.usstates import STATE_CHOICES
from tandem.measures.instruments import get_instrument
from tandem.referrals.models import Payer, PlanType

_STATES = [("", "Choose a state"), *STATE_CHOICES]


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(label="Email")
    phone = forms.CharField(max_length=30, required=False, label="Phone (optional)")
    question = text_area(
        2000,
        rows=5,
        label="Your question",
        help_text="Please do not include clinical details such as symptoms, diagnoses or medication.",
    )
    # A field people never see; bots that fill every field give themselves away.
    website = forms.CharField(
        max_length=200,
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # One per page load: a second click on Send (or a resubmitted page) sends one message.
    submission = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["submission"].initial = uuid.uuid4()

    def clean_submission(self) -> uuid.UUID | None:
        # A hidden field the sender never sees: if it was mangled, the message still goes,
        # only without the double-click guard (refusing it would name a field they can't fix).
        try:
            return uuid.UUID(self.cleaned_data["submission"])
        except ValueError:
            return None


class NameForm(forms.Form):
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")


class BirthForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example 1990-05-17.",
    )


class ContactDetailsForm(forms.Form):
    email = forms.EmailField(label="Email", help_text="Your portal account will use this address.")
    phone = forms.CharField(max_length=30, required=False, label="Phone (optional)")


class LocationForm(forms.Form):
    state_of_residence = forms.ChoiceField(choices=_STATES, label="State where you live")
    visit_state = forms.ChoiceField(
        choices=_STATES,
        label="State where you will be during visits",
        help_text="Visits are by video; the law follows where you are at the time of the visit.",
    )


class CoverageForm(forms.Form):
    payer = forms.ChoiceField(
        choices=[("", "Choose one"), *Payer.choices],
        label="How will you pay for visits?",
        help_text=(
            "If you have Medicare, choose Medicare even if you would rather pay yourself: "
            "Medicare's rules decide whether a practice may see you privately."
        ),
    )
    plan_type = forms.ChoiceField(
        choices=PlanType.choices,
        label="Plan type",
        initial=PlanType.OTHER,
        help_text="On your insurance card. Choose “Not applicable” for private pay.",
    )


class ReasonForm(forms.Form):
    reason = text_area(
        1000,
        rows=4,
        label="What brings you to us?",
        help_text="A sentence or two is enough; the prescriber will ask more at the visit.",
    )
    has_therapist = forms.ChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        label="Do you see a therapist now?",
    )


class _Questionnaire(forms.Form):
    """The scored items of one instrument from ``tandem.measures``, one radio group each."""

    instrument_code = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instrument = get_instrument(self.instrument_code)
        for number, item in enumerate((i for i in instrument.items if i.scored), start=1):
            self.fields[f"item{number}"] = forms.ChoiceField(
                choices=[(str(o.value), o.label) for o in item.options],
                widget=forms.RadioSelect,
                label=f"{number}. {item.text}",
            )


class PHQ9Form(_Questionnaire):
    instrument_code = "phq-9"


class GAD7Form(_Questionnaire):
    instrument_code = "gad-7"


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label="I have read and agree to the practice's policies",
        error_messages={"required": "Tick the box to agree to the practice's policies."},
    )


class EmailLinkForm(forms.Form):
    """The bot's last step: nothing to type, a button that emails the one-time link."""


class AccountForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. A few unrelated words work well.",
    )
    password2 = forms.CharField(
        label="Type the password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ; type the same one twice.")
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
