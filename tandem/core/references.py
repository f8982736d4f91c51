"""Short references such as ``R-7Q2K``: useful in a notification, identifying no one."""

import secrets
import uuid

#: Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 4


def random_reference(prefix: str) -> str:
    """Return a new random reference with ``prefix``, e.g. ``N-7Q2K``."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def reference_from_id(prefix: str, public_id: uuid.UUID) -> str:
    """Return a stable reference drawn from a random public id (so nothing new is stored)."""
    number = public_id.int
    letters = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return f"{prefix}-" + "".join(letters)
