"""US phone numbers as people type them: checked, and kept in one format.

A callback or emergency number that cannot be dialled is worse than none, so a
number is accepted only when it has ten digits (an area code and the number),
optionally after the country code 1, whatever punctuation surrounds them.
"""

from __future__ import annotations

import re

#: What a refused number is told, after the field's name.
RULE = "a US phone number with area code, e.g. 617-555-0123."


def normalise(raw: str) -> str | None:
    """Return ``raw`` as "(617) 555-0123", or None when it is not a dialable US number."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    if re.search(r"[^\d\s().+\-]", raw):
        return None
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def tel(number: str) -> str:
    """Return the ``tel:`` target (E.164, "+16175550123") of a number kept by ``normalise``."""
    digits = re.sub(r"\D", "", number or "")
    return f"+1{digits}" if len(digits) == 10 else ""
