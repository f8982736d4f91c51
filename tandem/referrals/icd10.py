"""ICD-10-CM codes a referral may carry: chapter F, and the medical codes the article names.

Codes come from the CMS tabular list shipped in the simple-icd-10-cm package
(April 2026 release); Tandem accepts only billable (leaf) codes from chapter F
(mental, behavioural and neurodevelopmental disorders) and the medical
conditions that commonly mimic or complicate psychiatric symptoms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import simple_icd_10_cm as cm

#: Medical conditions the article names as possible causes of psychiatric symptoms.
MEDICAL_PREFIXES = (
    "E01",  # iodine-deficiency thyroid disorders
    "E02",
    "E03",  # other hypothyroidism
    "E04",  # nontoxic goitre
    "E05",  # thyrotoxicosis (hyperthyroidism)
    "E06",  # thyroiditis
    "E07",  # other thyroid disorders
    "G47",  # sleep disorders, including G47.33 obstructive sleep apnea
    "E55",  # vitamin D deficiency
    "D51",  # vitamin B12 deficiency anaemia
    "E53",  # other B-vitamin deficiencies
)


@dataclass(frozen=True)
class Code:
    code: str
    description: str


def _allowed(code: str) -> bool:
    return code.startswith("F") or code.startswith(MEDICAL_PREFIXES)


@cache
def codes() -> tuple[Code, ...]:
    """Return every accepted billable code with its description, sorted by code."""
    found = []
    for raw in cm.get_all_codes(with_dots=True):
        if _allowed(raw) and cm.is_leaf(raw):
            found.append(Code(raw, cm.get_description(raw)))
    return tuple(sorted(found, key=lambda c: c.code))


@cache
def _by_code() -> dict[str, Code]:
    return {c.code: c for c in codes()}


def normalise(raw: str) -> str:
    """Return ``raw`` as a dotted upper-case code ("f411" → "F41.1")."""
    text = raw.strip().upper().replace(" ", "")
    if "." not in text and len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    return text


def lookup(raw: str) -> Code | None:
    """Return the accepted code for ``raw``, or None when it is unknown or not billable."""
    return _by_code().get(normalise(raw))


def search(query: str, limit: int = 20) -> list[Code]:
    """Return accepted codes whose code or description matches every word of ``query``."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    code_query = normalise(query) if len(words) == 1 else ""
    hits = []
    for item in codes():
        haystack = f"{item.code.lower()} {item.description.lower()}"
        if (code_query and item.code.startswith(code_query)) or all(w in haystack for w in words):
            hits.append(item)
            if len(hits) >= limit:
                break
    return hits
