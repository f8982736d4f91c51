"""Escaping for the few tables and card lists formatted in Python rather than in templates.

``text`` is Django's ``conditional_escape`` without its lazy-string wrapper: a page of
fifty or a hundred rows calls it a thousand times, and the wrapper was about a
millisecond of that. The same text comes out: anything already safe (``__html__``) is
kept as it is, the rest goes through ``html.escape``, as Django's ``escape`` does
(``tandem/measures/tests/test_registry.py`` compares the two).
"""

from __future__ import annotations

import html
from typing import Any


def text(value: Any) -> str:
    """Return ``value`` escaped for HTML, as ``conditional_escape`` would (a plain ``str``)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
