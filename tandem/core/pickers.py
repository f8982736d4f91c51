"""Searchable pickers: one component wherever a code is chosen (medications, ICD-10-CM codes).

A form field that should be picked by searching carries a ``Picker`` (``field.picker =
Picker(...)``). The field itself stays the plain input or select it always was, so the
form works without JavaScript; with HTMX, ``core/picker.html`` adds a search box whose
results (``core/picker_results.html``, rendered by the app's search view) fill the field
when one is chosen (``tandem.js``: a single value replaces, a list appends).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Picker:
    """How a field is searched: the search view's URL, what is searched, one value or a list."""

    url: str
    noun: str  # "medication", "ICD-10-CM code"
    multiple: bool = False


@dataclass(frozen=True)
class Option:
    """One search result: the value put in the field, and what the person reads."""

    value: str
    label: str
    detail: str = ""  # e.g. "RxCUI 36437"
