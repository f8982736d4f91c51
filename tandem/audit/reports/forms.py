from typing import Any

from django import forms
from django.utils.html import escape

from tandem.audit.models import AuditAction
from tandem.core.formhtml import PythonFormRenderer


class AuditSearchForm(forms.Form):
    # Django's markup for its fields, written without the template engine (core.formhtml).
    default_renderer = PythonFormRenderer()

    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    actor_email = forms.EmailField(required=False, label="Who (email)")
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    client_id = forms.UUIDField(required=False, label="Client id")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, zone_help: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("since", "until"):
            # Django renders help text unescaped, and a practice's name is anyone's text.
            self.fields[name].help_text = escape(zone_help)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“To” must be on or after “From”.")
        return cleaned
