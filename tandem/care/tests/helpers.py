"""Helpers shared by the care tests."""

import html as htmllib
import re

from tandem.tests.support.http import Client as HttpClient


def http(user=None) -> HttpClient:
    client = HttpClient()
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    """Return the page's visible text with tags removed and whitespace folded."""
    raw = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", raw))).strip()
