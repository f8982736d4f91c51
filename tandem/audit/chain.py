"""The hash chain: how a row's hash is computed, and how the chain is checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
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


def genesis(name: str = "") -> str:
    """Return the hash a chain's first row links to: zeros for the legacy chain ("").

    Each practice's chain starts from an HMAC of its name, so a row (or a whole chain)
    moved under another practice's head no longer links.
    """
    if not name:
        return GENESIS
    payload = f"tandem-audit-genesis:{name}"
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def head_signature(last_seq: int, last_hash: str, name: str = "") -> str:
    """Return the HMAC-SHA256 that seals a head's chain, count and last hash together.

    Without the key, nobody who can write to the database can move the head back
    to an earlier row after cutting the newest ones. The message starts with a
    label no row's payload (64 hex digits first) can start with; the legacy chain's
    (name "") is the message it was signed with before chains were split.
    """
    payload = (
        f"tandem-audit-head:{name}:{last_seq}:{last_hash}"
        if name
        else (f"tandem-audit-head:{last_seq}:{last_hash}")
    )
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def head_signature_holds(last_seq: int, last_hash: str, signature: str, name: str = "") -> bool:
    return hmac.compare_digest(head_signature(last_seq, last_hash, name), signature)


ANCHOR_PREFIX = "tandem-audit-head"
LEGACY_NAME = "legacy"
_ANCHOR = re.compile(
    rf"^{ANCHOR_PREFIX} seq=(\d+) hash=([0-9a-f]{{64}})(?: at=\S+)?(?: chains=(\S+))?$"
)
_CHAIN = re.compile(r"^([0-9A-Za-z._-]+):(\d+)$")


@dataclass(frozen=True)
class Anchor:
    """A stored anchor: the position of each chain's head then, and one hash over them.

    ``chains`` maps a chain's name ("" legacy) to its last seq. With one chain (the
    legacy one, as before chains were split) ``digest`` is its last row's hash, so an
    anchor stored then still checks; otherwise it is ``heads_digest`` of every chain's
    (name, seq, last hash).
    """

    total: int
    digest: str
    chains: dict[str, int]


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """Return the one hash over every chain's (name, last seq, last hash), in name order."""
    lines = "".join(f"{name}:{seq}:{digest}\n" for name, seq, digest in sorted(heads))
    return hashlib.sha256(lines.encode()).hexdigest()


def anchor_line(heads: list[tuple[str, int, str]], at: str) -> str:
    """Return the line an operator stores outside the database to pin every chain's head.

    ``heads`` holds each chain's (name, last seq, last hash). The legacy chain alone gives
    the line it always gave (its last seq and hash); several give their total count, the
    combined hash and each chain's position (``chains=legacy:12,<practice id>:40,...``).
    """
    if [name for name, _, _ in heads] in ([""], []):
        seq, digest = (heads[0][1], heads[0][2]) if heads else (0, GENESIS)
        return f"{ANCHOR_PREFIX} seq={seq} hash={digest} at={at}"
    total = sum(seq for _, seq, _ in heads)
    chains = ",".join(f"{name or LEGACY_NAME}:{seq}" for name, seq, _ in sorted(heads))
    return f"{ANCHOR_PREFIX} seq={total} hash={heads_digest(heads)} at={at} chains={chains}"


def parse_anchor(line: str) -> Anchor | None:
    """Return the anchor a line holds, or None when it is not one."""
    match = _ANCHOR.match(line.strip())
    if not match:
        return None
    total, digest, listed = int(match.group(1)), match.group(2), match.group(3)
    if listed is None:
        return Anchor(total, digest, {"": total})
    chains: dict[str, int] = {}
    for part in listed.split(","):
        found = _CHAIN.match(part)
        if not found:
            return None
        name = "" if found.group(1) == LEGACY_NAME else found.group(1)
        chains[name] = int(found.group(2))
    return Anchor(total, digest, chains)


def listed_clients(detail: Any) -> set[str]:
    """Return the client ids an event's detail lists, as ``record`` indexes them."""
    listed = detail.get("clients") if isinstance(detail, dict) else None
    return {str(c) for c in listed} if isinstance(listed, list) else set()


def index_break(events: Iterable[dict[str, Any]], index: Iterable[tuple[int, str]]) -> Break | None:
    """Return the first event (by seq) whose client index differs from the clients it lists.

    ``events`` carry ``id``, ``seq`` and ``detail``; ``index`` holds the (event id,
    client id) rows of exactly those events. The event's hashed detail is the truth.
    """
    indexed: dict[int, set[str]] = {}
    for event_id, client_id in index:
        indexed.setdefault(event_id, set()).add(client_id)
    for event in sorted(events, key=lambda e: e["seq"]):
        expected = listed_clients(event["detail"])
        found = indexed.get(event["id"], set())
        if missing := sorted(expected - found):
            return Break(event["seq"], f"the client index lacks {missing[0]} (a row was deleted)")
        if extra := sorted(found - expected):
            return Break(
                event["seq"], f"the client index lists {extra[0]}, which the event does not"
            )
    return None


@dataclass(frozen=True)
class Break:
    """The first place where a chain does not hold (seq 0: outside the chain).

    ``chain`` names a practice's chain; the legacy chain's breaks read as they always did.
    """

    seq: int
    problem: str
    chain: str = ""

    def __str__(self) -> str:
        if self.seq == 0:  # not at a place in the chain (an index row of no event)
            return f"audit trail broken: {self.problem}"
        where = f"audit chain {self.chain}" if self.chain else "audit chain"
        return f"{where} broken at #{self.seq}: {self.problem}"


def first_break(
    rows: Iterable[dict[str, Any]], head_seq: int, head_hash: str, *, start: str = GENESIS
) -> Break | None:
    """Return the first broken link in ``rows`` (ordered by seq), or None when the chain holds.

    Catches an edited row (its hash no longer matches), a deleted row (a gap in
    seq, or a tail shorter than the head says), and an inserted row (a seq out
    of place or a hash the key did not make). ``start`` is the chain's ``genesis``.
    """
    expected_seq = 1
    prev = start
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
