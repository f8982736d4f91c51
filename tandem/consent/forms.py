import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.consent.categories import GENERAL_CATEGORIES, Category, ExpiryEvent, LegalBasis, Purpose
from tandem.consent.models import ReleaseKind
from tandem.core.textlimits import with_limit
from tandem.organisations.models import Membership, Organisation


class SignForm(forms.Form):
    typed_name = forms.CharField(
        max_length=200,
        label="Type your full name to sign",
        required=True,
        error_messages={"required": "Type your full name to sign."},
    )
    representative_name = forms.CharField(
        max_length=200,
        required=False,
        label="Personal representative's name (if signing for the client)",
    )
    representative_authority = forms.CharField(
        max_length=300, required=False, label="Their authority (e.g. parent of a minor, guardian)"
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(
        label="I have read this authorization and I sign it of my own free will.",
        error_messages={"required": "Tick the box to confirm you have read the authorization."},
    )

    def __init__(self, *args: Any, text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text_sha256"].initial = hashlib.sha256(text.encode()).hexdigest()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date_field(label: str, *, required: bool, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput(),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a date, e.g. 2026-05-17.",
        },
    )


class PrepareReleaseForm(forms.Form):
    """What a clinician fills in to prepare a release; the action checks the rules of 164.508."""

    #: Where each key of the action's ValidationError belongs on this form.
    ACTION_FIELDS = {
        "kind": "kind",
        "categories": "categories",
        "purpose": "purpose",
        "expires_on": "expires_on",
        "expiry_event": "expiry_event",
        "effective_from": "effective_from",
        "disclosers": "disclosing_organisation",
        "recipients": "receiving_organisation",
    }

    kind = forms.ChoiceField(
        label="Kind of release",
        choices=ReleaseKind.choices,
        initial=ReleaseKind.GENERAL,
        widget=forms.RadioSelect,
        help_text=(
            "Psychotherapy notes and substance use disorder records (42 CFR Part 2) each need "
            "a release of their own kind."
        ),
    )
    categories = forms.MultipleChoiceField(
        label="Information to share",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one kind of information.",
            "invalid_choice": "Unknown category: %(value)s. Choose from the listed kinds of information.",
        },
    )
    disclosing_organisation = forms.ChoiceField(
        label="Who may disclose",
        error_messages={
            "required": "Choose the organisation that may disclose the information.",
            "invalid_choice": "Choose an organisation from the list.",
        },
    )
    receiving_organisation = forms.ChoiceField(
        label="Who may receive",
        error_messages={
            "required": "Choose the organisation that may receive the information.",
            "invalid_choice": "Choose an organisation from the list.",
        },
    )
    named_clinician = forms.ChoiceField(
        label="Named clinician at the receiving organisation (optional)",
        required=False,
        help_text="Leave empty to name the whole organisation.",
        error_messages={"invalid_choice": "Choose an active clinician from the list."},
    )
    two_way = forms.BooleanField(
        label="Two-way: both may share this information with each other",
        required=False,
        initial=True,
    )
    purpose = forms.ChoiceField(
        label="Purpose",
        # Both purposes of collaborative care are one click, first; each choice says what it covers.
        choices=[
            (
                Purpose.REFERRAL_AND_COORDINATION,
                "Referral, then ongoing coordination of treatment: the packet for the "
                "evaluation, and the updates both share while the client is in care",
            ),
            (Purpose.REFERRAL, "Referral only: the packet for the psychiatric evaluation"),
            (
                Purpose.TREATMENT_COORDINATION,
                "Coordination of treatment only: updates while in care, not a referral packet",
            ),
            (Purpose.SECOND_OPINION, Purpose.SECOND_OPINION.label),
            (Purpose.AT_CLIENT_REQUEST, Purpose.AT_CLIENT_REQUEST.label),
        ],
        widget=forms.RadioSelect,
        help_text=(
            "A release is honoured only for the purposes it states. Referral only lets the "
            "practice see the referral, but nothing is shared afterwards, such as medication "
            "changes or consultation notes: choose referral and ongoing coordination to cover "
            "both."
        ),
        error_messages={
            "required": "Choose the purpose of the disclosure.",
            "invalid_choice": "Choose one of the listed purposes.",
        },
    )
    purpose_detail = forms.CharField(
        label="Purpose, in more detail (optional)",
        max_length=300,
        required=False,
        help_text="No clinical details here: the client reads this text before signing.",
    )
    effective_from = _date_field("Start date", required=True)
    expires_on = _date_field(
        "End date", required=False, help_text="A date, an event below, or both (whichever first)."
    )
    expiry_event = forms.ChoiceField(
        label="Or ends at",
        choices=[("", "No event"), *ExpiryEvent.choices],
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        clinicians: list[Membership],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.public_id): o for o in organisations}
        self.clinicians = {str(m.public_id): m for m in clinicians}
        org_choices = [("", "Choose an organisation")] + [
            (key, f"{o.name} ({o.get_kind_display().lower()})")
            for key, o in self.organisations.items()
        ]
        for name in ("disclosing_organisation", "receiving_organisation"):
            self._choice_field(name).choices = org_choices
        self._choice_field("named_clinician").choices = [("", "No one in particular")] + [
            (key, f"{m.user.display_name}, {m.get_role_display().lower()}, {m.organisation.name}")
            for key, m in self.clinicians.items()
        ]
        self.fields["effective_from"].initial = timezone.localdate()

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = self.organisations.get(data.get("disclosing_organisation") or "")
        recipient = self.organisations.get(data.get("receiving_organisation") or "")
        clinician = self.clinicians.get(data.get("named_clinician") or "")
        if source is not None and source == recipient:
            self.add_error(
                "receiving_organisation",
                "Choose a different organisation from the one that discloses: "
                "sharing inside one organisation needs no release.",
            )
        if clinician is not None and recipient is not None and clinician.organisation != recipient:
            self.add_error(
                "named_clinician",
                f"{clinician.user.display_name} does not work at {recipient.name}: choose a "
                "clinician at the receiving organisation, or no one in particular.",
            )
        data["source"] = source
        data["recipient"] = recipient
        data["clinician"] = clinician
        return data

    def add_action_errors(self, error: ValidationError) -> None:
        """Show the action's refusal beside the field it is about."""
        for key, messages in error.message_dict.items():
            field = self.ACTION_FIELDS.get(key)
            self.add_error(field if field in self.fields else None, messages)


class RecordBasisForm(forms.Form):
    """One treatment disclosure a clinician makes after the client revoked, with its legal basis."""

    recipient_organisation = forms.ChoiceField(
        label="Shared with",
        error_messages={
            "required": "Choose the organisation you are sharing with.",
            "invalid_choice": "Choose an organisation from the list.",
        },
    )
    category = forms.ChoiceField(
        label="Information shared",
        choices=[("", "Choose the kind of information")]
        + [(c.value, c.label) for c in Category if c in GENERAL_CATEGORIES],
        error_messages={
            "required": "Choose the kind of information you are sharing.",
            "invalid_choice": "Choose a kind of information from the list.",
        },
    )
    description = forms.CharField(
        label="What you are sharing",
        max_length=300,
        help_text="No clinical details here: the client reads this in their list.",
        error_messages={
            "required": "Say what you are sharing, without clinical details: the client reads it."
        },
    )
    legal_basis = forms.ChoiceField(
        label="Legal basis",
        choices=LegalBasis.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the legal basis for this disclosure.",
            "invalid_choice": "Choose the legal basis for this disclosure.",
        },
    )
    note = forms.CharField(
        label="Why this disclosure is needed for the client's treatment",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=with_limit("Shown to the client in their list of what has been shared.", 300),
        error_messages={
            "required": (
                "Write why this disclosure is needed for the client's treatment: it is shown to "
                "the client in their list of what has been shared."
            )
        },
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.public_id): o for o in organisations}
        field = self.fields["recipient_organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose an organisation")] + [
            (key, o.name) for key, o in self.organisations.items()
        ]

    def add_action_errors(self, error: ValidationError) -> None:
        """Show the action's refusal beside the field it is about."""
        for key, messages in error.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)


class AttestPaperForm(forms.Form):
    file = forms.FileField(
        label="Signed paper release (PDF)",
        allow_empty_file=True,  # check_pdf explains an empty file in its own words
        help_text="PDF only.",
        error_messages={"required": "Choose the scanned, signed release (a PDF file)."},
    )
    signed_on = _date_field("Date the client signed", required=True)
    attest = forms.BooleanField(
        label=(
            "I attest that the client (or their personal representative) signed this release "
            "on paper, and that the file is a complete copy of what they signed."
        ),
        error_messages={"required": "Tick the box to attest to the paper signature."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cap_mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        self.fields["file"].help_text = f"PDF only, at most {cap_mb} MB."
        self.fields["file"].widget.attrs["accept"] = "application/pdf,.pdf"

    def add_action_errors(self, error: ValidationError) -> None:
        """Show the action's refusal beside the field it is about."""
        for key, messages in error.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)
