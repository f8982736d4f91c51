"""What every instrument is made of, the result of scoring one, and the checks all of them share.

An instrument is data (its items, their response options and values, its
licence and source) plus one pure scoring function written from the authors'
own instructions. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The two values of ``sex`` that instruments with sex-specific cut-offs know.
SEXES = ("female", "male")


class ScoringError(ValueError):
    """Answers that the instrument cannot score; ``field`` names where the problem is."""

    def __init__(self, message: str, field: str = "responses") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Option:
    """One response option and the value it scores."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question of an instrument.

    ``scored`` is False for a question that is recorded but not added to the
    total (the PHQ-9's difficulty question); such a question may only come last
    and may be left out of the answers altogether.
    """

    number: str
    text: str
    options: tuple[Option, ...]
    scored: bool = True

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Result:
    """The score of one completed (or partly completed) questionnaire.

    ``total`` is None when the instrument's own missing-data rule gives no
    score, never a silent zero. ``flags`` are raised from every answer given,
    complete or not, so a positive safety answer is never hidden by a blank
    elsewhere on the form.
    """

    instrument: str
    total: int | None
    band: str | None
    positive: bool | None
    flags: tuple[str, ...] = ()
    complete: bool = True
    prorated: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as the JSON-ready mapping the scoring API sends."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "positive": self.positive,
            "flags": list(self.flags),
            "complete": self.complete,
            "prorated": self.prorated,
            **self.extras,
        }


Answers = list[int | None]
Scorer = Callable[[Answers, str | None], Result]


@dataclass(frozen=True)
class Instrument:
    """A questionnaire's definition and the function that scores it as its authors publish."""

    code: str
    name: str
    version: str
    measures: str
    instructions: str
    items: tuple[Item, ...]
    licence: str
    texts_shipped: bool
    source: str
    scorer: Scorer
    needs_sex: bool = False

    @property
    def accepted_lengths(self) -> tuple[int, ...]:
        """Return how many answers the instrument takes (its recorded-only last item is optional)."""
        full = len(self.items)
        if self.items and not self.items[-1].scored:
            return (full - 1, full)
        return (full,)

    def score(self, responses: object, sex: object = None) -> Result:
        """Check ``responses`` (and ``sex`` where needed) item by item, then score them.

        Raise ScoringError naming the item and the rule when an answer cannot
        belong to this instrument.
        """
        answers = self.validate(responses)
        return self.scorer(answers, self.validate_sex(sex))

    def validate(self, responses: object) -> Answers:
        """Return ``responses`` as a list of whole numbers or None, or raise ScoringError."""
        if not isinstance(responses, list):
            raise ScoringError(
                f"{self.name}: responses must be a list with one answer per item "
                "(a whole number, or null for an unanswered item)."
            )
        lengths = self.accepted_lengths
        if len(responses) not in lengths:
            expected = " or ".join(str(n) for n in lengths)
            raise ScoringError(
                f"{self.name} takes {expected} answers, one per item in order; got {len(responses)}."
            )
        answers: Answers = []
        for index, (value, item) in enumerate(zip(responses, self.items, strict=False)):
            where = f"responses[{index}]"
            if value is None:
                answers.append(None)
                continue
            # bool is a subclass of int in Python: JSON true/false are not answers here.
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScoringError(
                    f"{self.name} item {item.number}: the answer must be a whole number "
                    f"(one of {_listing(item.values)}) or null; got {value!r}.",
                    field=where,
                )
            if value not in item.values:
                raise ScoringError(
                    f"{self.name} item {item.number}: the answer must be one of "
                    f"{_listing(item.values)}; got {value}.",
                    field=where,
                )
            answers.append(value)
        return answers

    def validate_sex(self, sex: object) -> str | None:
        """Return ``sex`` when the instrument's cut-offs depend on it, else None."""
        if not self.needs_sex:
            return None
        if sex not in SEXES:
            raise ScoringError(
                f"{self.name} needs sex ('female' or 'male') because its published cut-offs "
                f"differ by sex; got {sex!r}.",
                field="sex",
            )
        return str(sex)

    def as_dict(self) -> dict[str, Any]:
        """Return the definition as the JSON-ready mapping the instrument list sends."""
        return {
            "code": self.code,
            "name": self.name,
            "version": self.version,
            "measures": self.measures,
            "instructions": self.instructions,
            "needs_sex": self.needs_sex,
            "texts_shipped": self.texts_shipped,
            "licence": self.licence,
            "source": self.source,
            "accepted_lengths": list(self.accepted_lengths),
            "items": [
                {
                    "number": item.number,
                    "text": item.text,
                    "scored": item.scored,
                    "options": [{"value": o.value, "label": o.label} for o in item.options],
                }
                for item in self.items
            ],
        }


def _listing(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def neutral_items(count: int, options: tuple[Option, ...], start: int = 1) -> tuple[Item, ...]:
    """Return items labelled only by number, for instruments whose wording we may not ship."""
    return tuple(
        Item(number=str(n), text=f"Item {n}", options=options) for n in range(start, start + count)
    )


def missing_items(instrument: Instrument, answers: Answers) -> list[str]:
    """Return the numbers of the scored items left unanswered."""
    return [
        item.number
        for item, value in zip(instrument.items, answers, strict=False)
        if item.scored and value is None
    ]


def round_half_up(numerator: int, denominator: int) -> int:
    """Return numerator / denominator rounded to the nearest whole number, halves upwards.

    Python's round() rounds halves to even, which would turn a prorated 12.5
    into 12; the published rule is the ordinary arithmetic rounding.
    """
    return (2 * numerator + denominator) // (2 * denominator)


def banded(total: int, bands: Sequence[tuple[int, int, str]]) -> str:
    """Return the label of the band ``(low, high, label)`` that holds ``total``."""
    for low, high, label in bands:
        if low <= total <= high:
            return label
    raise AssertionError(f"total {total} lies outside every band")  # pragma: no cover
