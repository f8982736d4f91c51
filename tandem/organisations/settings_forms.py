"""Forms of the practice's own settings (consent, locale) and the fields other sections share.

They parse and check shapes; the actions decide.
"""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.accounts.models import validate_states
from tandem.organisations.models import validate_time_zone
from tandem.organisations.settings_actions import validate_holiday_subdivision

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StateListField(forms.CharField):
    """Two-letter state codes typed as "MA, NH": cleaned to ["MA", "NH"]."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def validate(self, value: Any) -> None:
        if value or self.required:
            validate_states(value)


class TreatmentExceptionForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Allow treatment-purpose disclosures to other treating providers without a release",
    )
    confirm = forms.BooleanField(
        required=False,
        label=(
            "I confirm that our privacy policy relies on the HIPAA treatment exception "
            "(45 CFR 164.506), and that clients have been told."
        ),
    )


class LocaleForm(forms.Form):
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        validators=[validate_time_zone],
        help_text="An IANA name, such as America/New_York. Clocks and slots use it.",
    )
    holiday_subdivision = forms.CharField(
        label="Holiday calendar (state)",
        max_length=10,
        required=False,
        help_text="Two-letter code, such as MA (Patriots' Day included). Empty: US federal only.",
    )
    telehealth_states = StateListField(
        label="Telehealth states",
        required=False,
        help_text="Where your prescribers see clients by telehealth, such as MA, NH.",
    )

    def clean_holiday_subdivision(self) -> str:
        value = str(self.cleaned_data["holiday_subdivision"]).strip().upper()
        validate_holiday_subdivision(value)
        return value
