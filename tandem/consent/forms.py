import hashlib
from typing import Any

from django import forms


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
