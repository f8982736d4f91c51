"""Keyset pages of newest-first lists, and the opaque cursors their links carry.

A list page cut by keyset reads at most ``size + 1`` rows past a key (a row's time
and id) from an index in that order, so a deep page costs what the first does and
no count of the whole list is taken. The key names a moment of someone's care, so a
link carries it encrypted (``seal``): no date or row id appears in a URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db.models import Q, QuerySet

#: The longest token accepted (a sealed key is about 140 characters).
MAX_TOKEN = 400


def _fernet(purpose: str) -> Fernet:
    digest = hashlib.sha256(f"tandem.cursor:{purpose}:".encode() + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(purpose: str, values: list[Any]) -> str:
    """Return ``values`` (JSON-able) encrypted for ``purpose`` as a URL-safe token."""
    plain = json.dumps(values, separators=(",", ":")).encode()
    return _fernet(purpose).encrypt(plain).decode().rstrip("=")


def unseal(purpose: str, token: str) -> list[Any] | None:
    """Return the values ``seal(purpose, …)`` put in ``token``; None for anything else."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        values = json.loads(_fernet(purpose).decrypt((token + "=" * (-len(token) % 4)).encode()))
    except (InvalidToken, ValueError, UnicodeError):
        return None
    return values if isinstance(values, list) else None


@dataclass
class KeysetPage:
    """One page of a newest-first list and the tokens of the pages either side ("" if none)."""

    object_list: list[Any]
    newer: str
    older: str

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def keyset_page(qs: QuerySet[Any], at: str, token: str, *, size: int, purpose: str) -> KeysetPage:
    """Return the page of ``qs`` (newest first by ``at``, then id) that ``token`` points to.

    No token (or one that is not ours): the newest ``size``. An "older" token: the
    ``size`` rows after its key; a "newer" one: the ``size`` rows before it. Reads
    ``size + 1`` rows to know whether more follow; an index on (…filter, ``at``, id)
    serves it without a sort.
    """
    key = _key(unseal(purpose, token))
    if key is None:
        rows = list(qs.order_by(f"-{at}", "-pk")[: size + 1])
        more_newer, more_older = False, len(rows) > size
        rows = rows[:size]
    else:
        moment, pk, older = key
        if older:
            beyond = Q(**{f"{at}__lte": moment}) & (Q(**{f"{at}__lt": moment}) | Q(pk__lt=pk))
            rows = list(qs.filter(beyond).order_by(f"-{at}", "-pk")[: size + 1])
            more_newer, more_older = True, len(rows) > size
            rows = rows[:size]
        else:
            beyond = Q(**{f"{at}__gte": moment}) & (Q(**{f"{at}__gt": moment}) | Q(pk__gt=pk))
            rows = list(qs.filter(beyond).order_by(at, "pk")[: size + 1])
            more_newer, more_older = len(rows) > size, True
            rows = rows[:size][::-1]

    def link(row: Any, older: bool) -> str:
        if isinstance(row, dict):  # a page read with values(): it must carry ``at`` and "id"
            return seal(purpose, [row[at].isoformat(), row["id"], older])
        return seal(purpose, [getattr(row, at).isoformat(), row.pk, older])

    return KeysetPage(
        rows,
        newer=link(rows[0], False) if rows and more_newer else "",
        older=link(rows[-1], True) if rows and more_older else "",
    )


def _key(values: list[Any] | None) -> tuple[dt.datetime, int, bool] | None:
    if values is None or len(values) != 3:
        return None
    try:
        moment = dt.datetime.fromisoformat(values[0])
        return (moment, int(values[1]), bool(values[2])) if moment.tzinfo else None
    except (TypeError, ValueError):
        return None
