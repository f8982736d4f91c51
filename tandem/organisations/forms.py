from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from tandem.accounts import actions as account_actions
from tandem.accounts.forms import parse_states
from tandem.accounts.models import THERAPIST_LICENCES, LicenceType, User
from tandem.core.roles import Role
from tandem.organisations import actions
from tandem.organisations.models import ROLES_BY_KIND, Organisation


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Their email",
        help_text="We email them a link. They hold the role only once they accept.",
    )
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        allowed = ROLES_BY_KIND.get(organisation.kind, frozenset())
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in allowed]  # type: ignore[attr-defined]


class SignupForm(AllauthSignupForm):
    """Sign up as a therapist (with licence details) or as a client.

    Here, not in accounts: a therapist's sign-up also creates their own practice.
    """

    ACCOUNT_TYPES = (
        ("therapist", "I am a licensed therapist"),
        ("client", "I am a client looking for care"),
    )

    full_name = forms.CharField(
        max_length=200,
        label="Full name",
        help_text="Therapists: as it appears on your licence.",
    )
    account_type = forms.ChoiceField(
        choices=ACCOUNT_TYPES,
        widget=forms.RadioSelect,
        label="I am signing up as",
        initial="therapist",
    )
    licence_type = forms.ChoiceField(
        choices=[("", "—")] + [(t.value, t.label) for t in LicenceType if t in THERAPIST_LICENCES],
        required=False,
        label="Licence type",
    )
    licence_number = forms.CharField(
        max_length=40,
        required=False,
        label="Licence number",
        help_text="As issued by your state licensing board.",
    )
    licence_states = forms.CharField(
        max_length=200,
        required=False,
        label="Licensed in (states)",
        help_text="Two-letter codes, separated by commas: MA, RI",
    )
    practice_name = forms.CharField(
        max_length=200,
        required=False,
        label="Practice name",
        help_text="Leave blank if you practise under your own name.",
    )

    field_order = [
        "full_name",
        "email",
        "password1",
        "password2",
        "account_type",
        "licence_type",
        "licence_number",
        "licence_states",
        "practice_name",
    ]

    ABOUT_YOU = ("full_name", "email", "password1", "password2")
    LICENCE = ("licence_type", "licence_number", "licence_states", "practice_name")

    def about_you_fields(self) -> list[forms.BoundField]:
        """Return the fields every account needs, for the first group of the page."""
        return [self[name] for name in self.ABOUT_YOU if name in self.fields]

    def licence_fields(self) -> list[forms.BoundField]:
        """Return the fields only therapists fill in, for the group shown to them."""
        return [self[name] for name in self.LICENCE if name in self.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_password_against_name(cleaned)
        if cleaned.get("account_type") == "therapist":
            if not cleaned.get("licence_type"):
                self.add_error("licence_type", "Therapists must give their licence type.")
            if not (cleaned.get("licence_number") or "").strip():
                self.add_error("licence_number", "Therapists must give their licence number.")
            try:
                cleaned["licence_states_list"] = parse_states(cleaned.get("licence_states") or "")
            except ValidationError as error:
                self.add_error("licence_states", error)
        return cleaned

    def _check_password_against_name(self, cleaned: dict[str, Any]) -> None:
        # allauth validates the password against a bare user holding only the email; the
        # full name is Tandem's own field, so check the password against it here as well.
        password = cleaned.get("password1")
        if not password or self.has_error("password1"):
            return
        candidate = User(email=cleaned.get("email") or "", full_name=cleaned.get("full_name") or "")
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as error:
            self.add_error("password1", error)

    def save(self, request: HttpRequest) -> User:
        user: User = super().save(request)
        data = self.cleaned_data
        if data["account_type"] == "therapist":
            actions.register_therapist(
                user=user,
                full_name=data["full_name"],
                licence_type=data["licence_type"],
                licence_number=data["licence_number"].strip(),
                licence_states=data["licence_states_list"],
                practice_name=data.get("practice_name", "").strip(),
            )
        else:
            account_actions.register_client(user=user, full_name=data["full_name"])
        return user
