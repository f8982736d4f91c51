"""Forms of the practice settings pages. They parse and check shapes; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tandem.accounts.models import validate_states
from tandem.organisations.models import validate_time_zone
from tandem.organisations.settings_actions import (
    MEDICARE_OPT_OUT_CONFLICT,
    validate_holiday_subdivision,
)
from tandem.referrals.models import Payer, PlanType, Service
from tandem.scheduling.models import ConfirmationRule

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
#: Slots are offered on business days only (weekends and holidays are closed), so hours are
#: set for Monday to Friday.
WEEKDAYS = list(enumerate(DAY_NAMES[:5]))
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


class HoursListField(forms.CharField):
    """Reminder times typed as "48, 2": cleaned to [48, 2], latest first."""

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        hours: list[int] = []
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                hours.append(int(part.strip()))
            except ValueError:
                raise ValidationError(
                    "Write whole hours separated by commas, such as 48, 2."
                ) from None
        return sorted(set(hours), reverse=True)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(h) for h in value) if isinstance(value, list) else value

    def validate(self, value: Any) -> None:
        if any(not 1 <= h <= 336 for h in value):
            raise ValidationError("Each reminder is between 1 and 336 hours (14 days) before.")
        if len(value) > 4:
            raise ValidationError("Send at most 4 reminders.")


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


class SchedulingSettingsForm(forms.Form):
    hold_minutes = forms.IntegerField(
        label="Hold time (minutes)",
        min_value=5,
        max_value=60,
        help_text="How long a chosen slot is held while the client enters payment information.",
    )
    waitlist_hold_minutes = forms.IntegerField(
        label="Waitlist offer hold (minutes)",
        min_value=5,
        max_value=60,
        help_text="How long an earlier time offered to a client on the waitlist is held for them.",
    )
    confirmation_rule = forms.ChoiceField(
        label="Confirmation", choices=ConfirmationRule.choices, widget=forms.RadioSelect
    )
    cancellation_hours = forms.IntegerField(
        label="Cancellation window (hours)",
        min_value=0,
        max_value=168,
        help_text="Clients may cancel or reschedule online up to this many hours before.",
    )
    reminder_hours = HoursListField(
        label="Reminders (hours before the visit)",
        help_text="Separated by commas, such as 48, 2. Leave empty for no reminders.",
        required=False,
    )
    min_notice_hours = forms.IntegerField(
        label="Minimum notice (hours)",
        min_value=0,
        max_value=336,
        help_text="No slot is offered sooner than this.",
    )
    video_link = forms.URLField(
        label="Video link",
        required=False,
        assume_scheme="https",
        help_text="Your telehealth room (https). Shown only inside Tandem, never in emails.",
    )

    def clean_video_link(self) -> str:
        value: str = self.cleaned_data["video_link"]
        if value and not value.startswith("https://"):
            raise ValidationError("Use a secure link that starts with https://.")
        return value


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    code = forms.SlugField(
        label="Code",
        max_length=40,
        help_text="Short, unique in your practice: letters, digits and hyphens, e.g. follow-up.",
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        min_value=15,
        max_value=240,
        error_messages={"min_value": "A visit lasts at least 15 minutes."},
    )
    buffer_minutes = forms.IntegerField(
        label="Buffer after (minutes)", min_value=0, max_value=60, initial=0
    )
    is_new_client = forms.BooleanField(
        label="For new clients (offered by the appointment bot)", required=False
    )


class WeeklyHoursForm(forms.Form):
    prescriber = forms.ChoiceField(label="Prescriber")
    weekday = forms.TypedChoiceField(
        label="Day",
        choices=WEEKDAYS,
        coerce=int,
        help_text="Weekends and your holidays are closed.",
    )
    starts = forms.TimeField(label="From", widget=TIME)
    ends = forms.TimeField(label="Until", widget=TIME)

    def __init__(self, *args: Any, prescribers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["prescriber"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a prescriber")] + [
            (str(p.public_id), p.full_name or p.email) for p in prescribers
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts is not None and ends is not None and starts >= ends:
            self.add_error("ends", "The block must end after it starts.")
        return data


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
