"""The hash chain: how a row's hash is computed, and how the chain is checked."""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

GENESIS = "0" * 64

#: The fields a row's hash covers, in order. Changing this list breaks every existing chain.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "organisation_id",
    "client_id",
    "request_id",
    "ip",
    "detail",
)


def _key() -> bytes:
    key = settings.AUDIT_HMAC_KEY or settings.SECRET_KEY
    return hashlib.sha256(b"tandem-audit:" + key.encode()).digest()


def row_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """Return the HMAC-SHA256 of the previous hash and this row's canonical JSON."""
    canonical = {name: values[name] for name in HASHED_FIELDS}
    occurred = canonical["occurred_at"]
    canonical["occurred_at"] = occurred if isinstance(occurred, str) else occurred.isoformat()
    payload = prev_hash + json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit chain broken at #{self.seq}: {self.problem}"


def first_break(rows: Iterable[dict[str, Any]], head_seq: int, head_hash: str) -> Break | None:
    """Return the first broken link in ``rows`` (ordered by seq), or None when the chain holds.

    Catches an edited row (its hash no longer matches), a deleted row (a gap in
    seq, or a tail shorter than the head says), and an inserted row (a seq out
    of place or a hash the key did not make).
    """
    expected_seq = 1
    prev = GENESIS
    for row in _ordered(rows):
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return Break(expected_seq, f"row #{expected_seq} is missing (next is #{seq})")
            return Break(seq, "row out of sequence (inserted or renumbered)")
        if row["prev_hash"] != prev:
            return Break(seq, "does not link to the row before it (a row was inserted or removed)")
        if row_hash(prev, row) != row["hash"]:
            return Break(seq, "content does not match its hash (the row was edited)")
        prev = row["hash"]
        expected_seq += 1
    last = expected_seq - 1
    if last != head_seq or prev != head_hash:
        return Break(last + 1, f"chain ends at #{last} but the head records #{head_seq}")
    return None


def _ordered(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield from rows
