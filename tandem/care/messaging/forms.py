"""The message form; ``actions`` checks the rules."""

from __future__ import annotations

from django import forms

from tandem.core.textlimits import MESSAGE, text_area


class MessageForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False, help_text="No client names needed.")
    body = text_area(MESSAGE, rows=4, label="Message", required=False)
    is_question = forms.BooleanField(
        label="This asks a question (a response is due within 1-2 business days)", required=False
    )
    attachments = forms.FileField(
        required=False,
        help_text="PDF, PNG or JPEG.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
