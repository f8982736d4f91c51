"""What the care pages share: putting an action's errors on a form, telling who received an item."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest

from tandem.care.sharing import SendResult


def apply_errors(form: Form, error: ValidationError) -> None:
    """Put an action's errors on the form fields they name (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def tell(request: HttpRequest, result: SendResult, what: str) -> None:
    """Say whom an item reached, and for whom it was held and why."""
    if result.delivered:
        names = ", ".join(m.user.display_name for m in result.delivered)
        messages.success(request, f"{what} sent to {names}.")
    for member, why in result.held:
        messages.warning(
            request,
            f"Held for {member.user.display_name} ({member.organisation.name}): {why} "
            "Nothing was shared with them.",
        )
