"""The client's own emergency contact form."""

from django import forms


class EmergencyContactForm(forms.Form):
    """Checked in ``clients.actions.clean_emergency_contact``, which names each bad field."""

    name = forms.CharField(label="Name", required=False)
    relationship = forms.CharField(
        label="Relationship to you", required=False, help_text="e.g. sister, friend"
    )
    phone = forms.CharField(label="Phone", required=False)
