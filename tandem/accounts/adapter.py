from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Tandem's account rules: emails carry no PHI; anyone may sign up as therapist or client."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True


class MFAAdapter(DefaultMFAAdapter):
    def get_public_key_credential_rp_entity(self) -> dict[str, Any]:
        entity = super().get_public_key_credential_rp_entity()
        entity["name"] = "Tandem"
        return entity
