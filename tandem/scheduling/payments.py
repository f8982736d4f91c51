"""Payment information, through a provider interface. Tandem never sees or stores card data.

Only the provider's reference (a SetupIntent id, or an offline marker) is kept
on the appointment. Nothing is charged at booking: payment information being
on file is one of the two conditions for confirmation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings


class PaymentError(Exception):
    """The provider refused or failed; the message is safe to show the client."""


@dataclass(frozen=True)
class SetupStart:
    """What the page needs to collect payment details (e.g. Stripe's client secret)."""

    provider: str
    client_secret: str = ""
    publishable_key: str = ""


class PaymentProvider(Protocol):
    code: str

    def start_setup(self, *, appointment_id: str) -> SetupStart: ...

    def finish_setup(self, *, appointment_id: str, token: str) -> str:
        """Return the provider's reference for the saved payment method."""
        ...


#: What the offline form posts when the client ticks "I will pay at my first visit or by invoice".
AGREED = "agree"


class OfflineProvider:
    """ "Pay at the first visit / by invoice": the client agrees; nothing is stored but a marker."""

    code = "offline"

    def start_setup(self, *, appointment_id: str) -> SetupStart:
        return SetupStart(provider=self.code)

    def finish_setup(self, *, appointment_id: str, token: str) -> str:
        if token != AGREED:
            raise PaymentError("Confirm that you will pay at your first visit or by invoice.")
        return f"offline:{uuid.uuid4()}"


class StripeProvider:
    """Stripe SetupIntents: the card is saved by Stripe; Tandem keeps the SetupIntent id."""

    code = "stripe"

    def __init__(self, secret_key: str, publishable_key: str) -> None:
        self.secret_key = secret_key
        self.publishable_key = publishable_key

    def start_setup(self, *, appointment_id: str) -> SetupStart:
        import stripe  # deferred: the Stripe SDK loads only when Stripe is the configured provider

        try:
            intent = stripe.SetupIntent.create(
                api_key=self.secret_key,
                usage="off_session",
                metadata={"appointment": appointment_id},  # a random id only, never PHI
            )
        except stripe.StripeError as error:
            raise PaymentError(
                "The payment service is not answering. Your slot is still held; try again."
            ) from error
        return SetupStart(
            provider=self.code,
            client_secret=intent.client_secret or "",
            publishable_key=self.publishable_key,
        )

    def finish_setup(self, *, appointment_id: str, token: str) -> str:
        import stripe  # deferred: the Stripe SDK loads only when Stripe is the configured provider

        try:
            intent = stripe.SetupIntent.retrieve(token, api_key=self.secret_key)
        except stripe.StripeError as error:
            raise PaymentError(
                "The payment service is not answering. Your slot is still held; try again."
            ) from error
        metadata: Any = intent.metadata or {}
        if intent.status != "succeeded" or metadata.get("appointment") != appointment_id:
            raise PaymentError("Your card was not saved. Check the details and try again.")
        return str(intent.id)


def provider(code: str | None = None) -> PaymentProvider:
    """Return the configured provider (``PAYMENT_PROVIDER``: offline by default)."""
    chosen = code or getattr(settings, "PAYMENT_PROVIDER", "offline")
    if chosen == "stripe":
        return StripeProvider(settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY)
    return OfflineProvider()
