"""The release's life: which status changes are allowed, and the one move between them."""

from typing import Any

from tandem.consent.models import Release, ReleaseHistory, ReleaseStatus

S = ReleaseStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SIGNED, S.WITHDRAWN}),
    S.SIGNED: frozenset({S.REVOKED, S.SUPERSEDED}),
    S.REVOKED: frozenset(),
    S.SUPERSEDED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

#: The status a release is created in (``actions.prepare_release``).
INITIAL = frozenset({S.DRAFT})

_REFUSALS: dict[tuple[str, str], str] = {
    (S.SIGNED, S.SIGNED): "This release is already signed.",
    (S.REVOKED, S.SIGNED): "This release was revoked; it cannot be signed. Ask for a new one.",
    (S.SUPERSEDED, S.SIGNED): "This release was replaced by a newer one; sign that one instead.",
    (S.WITHDRAWN, S.SIGNED): "This release was withdrawn before it was signed.",
    (S.REVOKED, S.REVOKED): "This release is already revoked.",
    (S.DRAFT, S.REVOKED): "This release was never signed, so there is nothing to revoke.",
}


class TransitionError(Exception):
    """A status change the release's life does not allow; the message is for the user."""


def check(current: str, target: str) -> None:
    """Raise TransitionError unless ``current`` may become ``target``."""
    if target not in TRANSITIONS[current]:
        raise TransitionError(
            _REFUSALS.get(
                (current, target),
                f"A release that is {S(current).label.lower()} cannot become {S(target).label.lower()}.",
            )
        )


def move(release: Release, target: str, actor: Any) -> None:
    """Move ``release`` to ``target`` if its life allows it, recording who moved it, from what.

    The one place a release's status is assigned. The caller holds the release's lock
    (``actions._lock_release``) and saves the release with its other changes.
    """
    check(release.status, target)
    ReleaseHistory.objects.create(
        release=release, from_status=release.status, to_status=target, actor=actor
    )
    release.status = target
