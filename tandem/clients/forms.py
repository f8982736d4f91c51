"""The client's own emergency contact form."""

from django import forms


class EmergencyContactForm(forms.Form):
    """Checked in ``clients.actions.clean_emergency_contact``, which names each bad field."""

    name = forms.CharField(label="Name", required=False, max_length=100)
    relationship = forms.CharField(
        label="Relationship to you",
        required=False,
        max_length=50,
        help_text="e.g. sister, friend",
    )
    phone = forms.CharField(label="Phone", required=False, max_length=30)
