"""Text messages through a provider interface, off by default (``SMS_PROVIDER`` unset).

Texts carry the same fixed, PHI-free words as the reminder emails.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class SMSProvider(Protocol):
    code: str

    def send(self, *, to: str, text: str) -> None: ...


class ConsoleSMSProvider:
    """For development: keep and log that a text would go out (never the number); send nothing."""

    code = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        self.sent.append((to, text))
        logger.info("Console SMS provider: a text would be sent: %s", text)  # no number: PHI


_CONSOLE = ConsoleSMSProvider()


def provider() -> SMSProvider | None:
    """Return the configured provider, or None when texts are off (the default)."""
    chosen = getattr(settings, "SMS_PROVIDER", "")
    if chosen == "console":
        return _CONSOLE
    return None
