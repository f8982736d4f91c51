"""The client's shared timeline, composed from providers that the apps register.

Each app that puts items on a client's timeline owns a small ``timeline.py``
with a *provider*: a function that takes a ``Query`` (the client, the viewer's
consent gate, the kinds wanted) and returns that app's items as the viewer may
see them. The app registers it in its ``AppConfig.ready()`` with the kinds it
supplies. ``compose`` asks, in the order of ``Kind``, only the providers of the
kinds wanted, so a filtered page runs only their queries; it knows no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models
from django.db.models import QuerySet


class Kind(models.TextChoices):
    """The kinds of item, in the order the timeline's filter lists them."""

    REFERRAL = "referral", "Referral"
    APPOINTMENT = "appointment", "Appointments"
    CONSULT_NOTE = "consult_note", "Consultation notes"
    MEDICATION = "medication", "Medications"
    CHECKIN = "checkin", "Progress check-ins"
    MESSAGE = "message", "Messages"
    SAFETY = "safety", "Safety alerts"
    QUESTIONNAIRE = "questionnaire", "Questionnaire results"
    CASE_REVIEW = "case_review", "Case reviews"


class Judgement(Protocol):
    """What the timeline needs of a consent decision (``tandem.consent.decision.Decision``)."""

    @property
    def allowed(self) -> bool: ...

    @property
    def withheld_label(self) -> str: ...


class Gate(Protocol):
    """The viewer's consent gate (``tandem.consent.timeline.Gate``), as providers use it."""

    viewer: Any
    viewer_org_id: int | None

    def __call__(
        self,
        category: str,
        org_id: int,
        author_id: int | None,
        *,
        obj: Any = None,
        description: str = "",
    ) -> Any: ...


@dataclass
class Item:
    """One line of the timeline as one viewer may see it."""

    kind: str
    at: dt.datetime
    title: str
    reference: str = ""
    by: str = ""
    decision: Any = None  # a Judgement; None for the viewer's own organisation's items
    lines: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""
    #: The record shown, where the page shows it under another basis than ``decision``
    #: (a safety alert's serious-threat showing): a page accounts what it shows by either.
    obj: Any = None

    @property
    def shown(self) -> bool:
        return self.decision is None or bool(self.decision.allowed)

    @property
    def withheld_label(self) -> str:
        return "" if self.shown or self.decision is None else str(self.decision.withheld_label)

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


@dataclass(frozen=True)
class Query:
    """What a provider is asked for: one client's items of ``wanted`` kinds, for one gate.

    ``only`` narrows a kind to one item by its reference (a page that shows one check-in
    accounts only that one as shown).
    """

    client: Any
    gate: Gate
    wanted: frozenset[str]
    only: dict[str, str] = field(default_factory=dict)
    #: How many of the newest items the page needs (None: all). A provider passes its
    #: queryset through ``window`` so it reads no more than that from the database.
    newest: int | None = None

    def window(self, qs: QuerySet[Any], at: str) -> QuerySet[Any]:
        """Return ``qs`` newest first by the field ``at``, cut to ``newest`` rows when paged.

        The page's items are the newest N of all providers together, and each of
        those is among the newest N of its own provider, so each provider reads at
        most N rows whatever the length of the record.
        """
        qs = qs.order_by(f"-{at}", "-pk")  # the same order paged or not
        return qs if self.newest is None else qs[: self.newest]


Provider = Callable[[Query], list[Item]]

_providers: list[tuple[tuple[str, ...], Provider]] = []


def register(kinds: tuple[str, ...], provider: Provider) -> None:
    """Register ``provider`` as the source of items of ``kinds`` (idempotent)."""
    if (kinds, provider) not in _providers:
        _providers.append((kinds, provider))


def by_line(user: Any, org: Any) -> str:
    """Return who wrote an item: "name, organisation", or the organisation alone."""
    return f"{user.display_name}, {org.name}" if user is not None else org.name


def compose(query: Query) -> list[Item]:
    """Return the items of every provider of a wanted kind, newest first.

    Providers are asked in the order of ``Kind`` (their first kind), so items at
    the same moment keep one order whatever order the apps registered in.
    """
    order = {kind: index for index, kind in enumerate(Kind.values)}
    items: list[Item] = []
    for kinds, provider in sorted(_providers, key=lambda p: min(order.get(k, 99) for k in p[0])):
        if query.wanted.intersection(kinds):
            items += provider(query)
    items.sort(key=lambda i: i.at, reverse=True)
    return items


@dataclass
class Page:
    """One page of a timeline: ``items`` after the first ``start``, and whether more follow."""

    items: list[Item]
    start: int
    size: int
    more: bool

    @property
    def next_start(self) -> int:
        return self.start + self.size


def compose_page(query: Query, start: int, size: int) -> Page:
    """Return the items from ``start`` (0 for the newest) to ``start + size``, newest first.

    ``query.newest`` should be ``start + size + 1`` (one more, to know whether more follow).
    """
    items = compose(query)
    return Page(items[start : start + size], start, size, more=len(items) > start + size)
