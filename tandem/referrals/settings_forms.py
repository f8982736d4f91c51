"""The form of the referral policy section of the practice settings (the actions decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.organisations.settings_forms import TIME, StateListField
from tandem.referrals.models import Payer, PlanType, Service
from tandem.referrals.settings_actions import MEDICARE_OPT_OUT_CONFLICT


class ReferralPolicyForm(forms.Form):
    accepting_new = forms.BooleanField(
        required=False,
        label="Accepting new referrals",
        help_text="Untick to pause: therapists are told you are not taking new clients now.",
    )
    min_age = forms.IntegerField(label="Youngest age served", min_value=0, max_value=120)
    max_age = forms.IntegerField(label="Oldest age served", min_value=0, max_value=120)
    visit_states = StateListField(
        label="States where the client must be during visits",
        help_text="Two-letter codes separated by commas, such as MA.",
    )
    payers = forms.MultipleChoiceField(
        label="Coverage accepted",
        choices=Payer.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one kind of coverage you accept."},
    )
    medicare_opted_out = forms.BooleanField(
        required=False,
        label="Our prescribers have opted out of Medicare",
        help_text=(
            "Tick only if they filed Medicare opt-out affidavits (42 CFR 405.400-455): then the "
            "bot offers Medicare beneficiaries a private contract. Otherwise a practice that "
            "does not accept Medicare cannot see them at all, not even as private pay."
        ),
    )
    plan_types = forms.MultipleChoiceField(
        label="Commercial plan types accepted",
        choices=PlanType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: any plan type of the coverage above.",
    )
    services = forms.MultipleChoiceField(
        label="Services offered",
        choices=Service.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one service you offer."},
    )
    response_target_days = forms.TypedChoiceField(
        label="Response target (business days)",
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        help_text=(
            "The article's practices answer within 1 or 2 business days, and therapists look "
            "for that; up to 5 is allowed."
        ),
    )
    urgent_response_hours = forms.IntegerField(
        label="Urgent response target (clock hours)",
        min_value=1,
        max_value=72,
        help_text="For referrals that report safety concerns.",
    )
    access_target_weeks = forms.IntegerField(
        label="Access target (weeks)",
        min_value=1,
        max_value=26,
        help_text="First appointments are offered within this many weeks (the article: 2 to 4).",
    )
    opens = forms.TimeField(label="Business hours open at", widget=TIME)
    closes = forms.TimeField(label="Business hours close at", widget=TIME)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", "The oldest age served must be at least the youngest.")
        if data.get("medicare_opted_out") and Payer.MEDICARE in data.get("payers", []):
            self.add_error("medicare_opted_out", MEDICARE_OPT_OUT_CONFLICT)
        opens, closes = data.get("opens"), data.get("closes")
        if opens is not None and closes is not None and opens >= closes:
            self.add_error("closes", "Closing time must come after opening time.")
        return data
