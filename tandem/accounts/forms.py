from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tandem.accounts.models import LicenceType
from tandem.core.usstates import US_STATES


def parse_states(raw: str) -> list[str]:
    """Turn "MA, ri" into ["MA", "RI"], rejecting unknown codes with a message naming them."""
    codes = [part.strip().upper() for part in raw.replace(";", ",").split(",") if part.strip()]
    if not codes:
        raise ValidationError("Name at least one state, as two-letter codes such as MA.")
    unknown = [c for c in codes if c not in US_STATES]
    if unknown:
        raise ValidationError(
            "Unknown state code(s): %(codes)s. Use two-letter codes such as MA.",
            params={"codes": ", ".join(unknown)},
        )
    return list(dict.fromkeys(codes))


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    preferred_name = forms.CharField(max_length=100, required=False, label="Preferred name")
    licence_type = forms.ChoiceField(
        choices=LicenceType.choices, required=False, label="Licence type"
    )
    licence_number = forms.CharField(max_length=40, required=False, label="Licence number")
    licence_states = forms.CharField(
        max_length=200, required=False, label="Licensed in (states)", help_text="MA, RI"
    )

    def __init__(self, *args: Any, is_clinician: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_clinician = is_clinician
        if not is_clinician:
            for name in ("licence_type", "licence_number", "licence_states"):
                del self.fields[name]
        else:
            self.fields["licence_type"].required = True
            self.fields["licence_number"].required = True
            self.fields["licence_states"].required = True

    def clean_licence_states(self) -> list[str]:
        return parse_states(self.cleaned_data.get("licence_states") or "")
