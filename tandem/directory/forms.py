"""Forms of the directory: the practice profile, the search, the client's experience check.

The profile form has no field for a measured figure, so a posted one is never read;
``actions.update_profile`` refuses one outright.
"""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.core.textlimits import NOTE, text_area
from tandem.core.usstates import STATE_CHOICES
from tandem.directory import search
from tandem.directory.models import PRESCRIBER_FIELD_MAX, Language, Specialty
from tandem.referrals.models import Payer, PlanType, Service

PRESCRIBER_PARTS = ("name", "credentials", "board_certification", "training")


class PrescribersField(forms.CharField):
    """One prescriber a line: name | credentials | board certification | training."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) > len(PRESCRIBER_PARTS):
                raise forms.ValidationError(
                    f"Prescribers, line {number}: at most four parts separated by |."
                )
            if not parts[0]:
                raise forms.ValidationError(f"Prescribers, line {number}: the name comes first.")
            if any(len(p) > PRESCRIBER_FIELD_MAX for p in parts):
                raise forms.ValidationError(
                    f"Prescribers, line {number}: at most {PRESCRIBER_FIELD_MAX} characters a part."
                )
            parts += [""] * (len(PRESCRIBER_PARTS) - len(parts))
            rows.append(dict(zip(PRESCRIBER_PARTS, parts, strict=True)))
        return rows

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                " | ".join(row.get(p, "") for p in PRESCRIBER_PARTS).rstrip(" |") for row in value
            )
        return value


class ProfileForm(forms.Form):
    """What the practice states about itself. Measured figures are not here: Tandem computes them."""

    listed = forms.BooleanField(
        required=False,
        label="List the practice in therapists' directory search",
    )
    telehealth = forms.BooleanField(required=False, label="Sees clients by secure video")
    in_person = forms.BooleanField(
        required=False,
        label="Sees clients in person",
        help_text="At the address in the practice's details.",
    )
    specialties = forms.MultipleChoiceField(
        label="Specialties",
        choices=Specialty.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    languages = forms.MultipleChoiceField(
        label="Languages visits can be held in",
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    prescribers = PrescribersField(
        label="Prescribers",
        required=False,
        max_length=NOTE,
        help_text=(
            "One a line: name | credentials | board certification | training. Shown as "
            "stated by the practice."
        ),
    )
    about = text_area(NOTE, rows=4, required=False, label="About the practice")
    how_to_refer = text_area(
        NOTE, rows=3, required=False, label="How to refer", help_text="What therapists should know."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("telehealth") and not data.get("in_person"):
            self.add_error("in_person", "Choose telehealth, in person, or both.")
        return data


def _choices(blank: str, choices: Any) -> list[tuple[str, str]]:
    return [("", blank), *choices]


class SearchForm(forms.Form):
    """The client's facts a therapist searches with; every field may be left empty."""

    state = forms.ChoiceField(
        label="Client's state during visits",
        choices=_choices("Any state", STATE_CHOICES),
        required=False,
    )
    age = forms.IntegerField(label="Client's age", min_value=0, max_value=120, required=False)
    payer = forms.ChoiceField(
        label="Coverage", choices=_choices("Any coverage", Payer.choices), required=False
    )
    plan_type = forms.ChoiceField(
        label="Plan type", choices=_choices("Any plan type", PlanType.choices), required=False
    )
    service = forms.ChoiceField(
        label="Service needed", choices=_choices("Any service", Service.choices), required=False
    )
    telehealth = forms.BooleanField(label="Telehealth", required=False)
    language = forms.ChoiceField(
        label="Language", choices=_choices("Any language", Language.choices), required=False
    )
    within_weeks = forms.IntegerField(
        label="Can see within (weeks)", min_value=1, max_value=26, required=False
    )
    sort = forms.ChoiceField(label="Sort by", choices=list(search.SORTS.items()), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("plan_type") and data.get("payer") not in ("", None, Payer.COMMERCIAL):
            self.add_error("plan_type", "Plan type: only for commercial insurance.")
        return data

    def filters(self) -> search.Filters:
        """Return the search's filters from the cleaned form (empty ones filter nothing)."""
        data = self.cleaned_data
        return search.Filters(
            state=data.get("state") or "",
            age=data.get("age"),
            payer=data.get("payer") or "",
            plan_type=data.get("plan_type") or "",
            service=data.get("service") or "",
            telehealth=bool(data.get("telehealth")),
            language=data.get("language") or "",
            within_weeks=data.get("within_weeks"),
            sort=data.get("sort") or search.SORT_SLOT,
        )


ANSWERS = [("yes", "Yes"), ("partly", "Partly"), ("no", "No")]


class ExperienceForm(forms.Form):
    """Two optional questions; nothing is shown to the practice per visit or per person."""

    felt_heard = forms.ChoiceField(
        label="Did you feel heard?", choices=ANSWERS, widget=forms.RadioSelect, required=False
    )
    enough_time = forms.ChoiceField(
        label="Was there enough time?", choices=ANSWERS, widget=forms.RadioSelect, required=False
    )

    @staticmethod
    def as_bool(value: str) -> bool | None:
        """Return yes as True and partly or no as False (the flags count a full yes only)."""
        return {"yes": True, "partly": False, "no": False}.get(value)
