"""Forms of the booking sections of the practice settings: they check shapes; actions decide."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tandem.organisations.settings_forms import TIME
from tandem.scheduling.models import ConfirmationRule

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


#: Slots are offered on business days only (weekends and holidays are closed), so hours are
#: set for Monday to Friday.
WEEKDAYS = list(enumerate(DAY_NAMES[:5]))
#: The weekly grid shows all seven days, so hours set on a weekend are shown (and kept).
ALL_DAYS = list(enumerate(DAY_NAMES))


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


class WeekGridForm(forms.Form):
    """A prescriber's whole week, all seven days, every block they have, in one grid.

    The fields are ``d<weekday>_<n>_starts`` / ``_ends`` (n = 1, 2, ...); an empty pair means
    no block. Each day has as many rows as the prescriber has blocks that day, plus an empty
    one to add a block. ``shown`` lists the blocks the page was opened with, so saving can
    refuse to delete a block the grid never showed (see ``actions.set_week``). "Copy Monday to
    the other days" (``copy_from``) fills the other business days from one, without saving, so
    it works without JavaScript.
    """

    #: Rows per day at most (a bound on what a post may make us build).
    MAX_BLOCKS = 12
    FIELD = re.compile(r"^d([0-6])_([0-9]{1,2})_(?:starts|ends)$")

    shown = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = self._counts()
        for weekday, name in ALL_DAYS:
            for n in range(1, self.counts[weekday] + 1):
                for edge, word in (("starts", "from"), ("ends", "until")):
                    self.fields[f"d{weekday}_{n}_{edge}"] = forms.TimeField(
                        label=f"{name}, block {n}, {word}",
                        required=False,
                        widget=forms.TimeInput(
                            attrs={"type": "time", "step": 1800}, format="%H:%M"
                        ),
                    )

    def _counts(self) -> dict[int, int]:
        """Rows per day: every block the data or the initial values hold, plus an empty row."""
        source = self.data if self.is_bound else self.initial
        rows: dict[int, int] = dict.fromkeys(range(7), 0)
        filled: dict[int, int] = dict.fromkeys(range(7), 0)
        for key, value in source.items():
            match = self.FIELD.match(key)
            if match is None:
                continue
            weekday, n = int(match[1]), min(int(match[2]), self.MAX_BLOCKS)
            rows[weekday] = max(rows[weekday], n)
            if value not in (None, ""):
                filled[weekday] = max(filled[weekday], n)
        return {
            weekday: min(max(rows[weekday], filled[weekday] + 1, 1), self.MAX_BLOCKS)
            for weekday in range(7)
        }

    @staticmethod
    def initial_from(blocks: list[Any]) -> dict[str, Any]:
        """Return the grid's initial values: every one of a prescriber's ``WeeklyHours`` blocks."""
        initial: dict[str, Any] = {}
        seen: dict[int, int] = {}
        ordered = sorted(blocks, key=lambda b: (b.weekday, b.starts))
        for block in ordered:
            n = seen.get(block.weekday, 0) + 1
            seen[block.weekday] = n
            initial[f"d{block.weekday}_{n}_starts"] = block.starts
            initial[f"d{block.weekday}_{n}_ends"] = block.ends
        initial["shown"] = " ".join(f"{b.weekday}-{b.starts:%H:%M}-{b.ends:%H:%M}" for b in ordered)
        return initial

    def clean_shown(self) -> set[tuple[int, dt.time, dt.time]]:
        """Return the blocks the page was opened with; an unreadable list is refused."""
        found = set()
        for item in (self.cleaned_data.get("shown") or "").split():
            try:
                weekday, starts, ends = item.split("-")
                found.add(
                    (
                        int(weekday),
                        dt.datetime.strptime(starts, "%H:%M").time(),
                        dt.datetime.strptime(ends, "%H:%M").time(),
                    )
                )
            except ValueError:
                raise ValidationError(
                    "The page was damaged; open the weekly hours again."
                ) from None
        return found

    def rows(self) -> list[tuple[int, str, bool, list[tuple[Any, Any]]]]:
        """Return (weekday, day name, business day?, [(starts, ends) per block]) for the page."""
        return [
            (
                weekday,
                name,
                weekday < 5,
                [
                    (self[f"d{weekday}_{n}_starts"], self[f"d{weekday}_{n}_ends"])
                    for n in range(1, self.counts[weekday] + 1)
                ],
            )
            for weekday, name in ALL_DAYS
        ]

    def copied(self, source: int) -> dict[str, str]:
        """Return the posted data with ``source``'s blocks copied to every other business day."""
        data = {k: v for k, v in self.data.items() if k in self.fields or k == "prescriber"}
        for weekday, _ in WEEKDAYS:
            if weekday == source:
                continue
            for key in [k for k in data if k.startswith(f"d{weekday}_")]:
                del data[key]
            for n in range(1, self.counts[source] + 1):
                for edge in ("starts", "ends"):
                    data[f"d{weekday}_{n}_{edge}"] = self.data.get(f"d{source}_{n}_{edge}", "")
        return data

    def blocks(self) -> list[tuple[int, Any, Any]]:
        """Return the week's blocks; an error names the day whose block is half filled."""
        found = []
        for weekday, name in ALL_DAYS:
            for n in range(1, self.counts[weekday] + 1):
                starts = self.cleaned_data.get(f"d{weekday}_{n}_starts")
                ends = self.cleaned_data.get(f"d{weekday}_{n}_ends")
                if starts is None and ends is None:
                    continue
                if starts is None or ends is None:
                    self.add_error(
                        f"d{weekday}_{n}_starts" if starts is None else f"d{weekday}_{n}_ends",
                        f"{name}, block {n}: give both the start and the end, or neither.",
                    )
                    continue
                found.append((weekday, starts, ends))
        return found
