from django import forms

from tandem.core.roles import Role
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
