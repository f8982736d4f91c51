"""Which other practices to suggest when a client does not fit the one chosen.

The referral form asks here; the directory (a higher layer) registers its search as the
suggester when it starts (``register``), so the form and the therapists' search give the
same answer. Without a registered suggester, the practices whose policy fits, by name.
"""

from __future__ import annotations

from typing import Protocol

from tandem.organisations.models import Organisation
from tandem.referrals import eligibility, selectors


class Suggester(Protocol):
    def __call__(
        self, facts: eligibility.Facts, *, exclude_id: int | None = None
    ) -> list[Organisation]: ...


_suggester: list[Suggester] = []


def register(suggester: Suggester) -> None:
    """Make ``suggester`` the one the referral form asks (registering again replaces it)."""
    _suggester[:] = [suggester]


def suggest(facts: eligibility.Facts, *, exclude_id: int | None = None) -> list[Organisation]:
    """Return the other practices the client fits, best first."""
    if _suggester:
        return _suggester[0](facts, exclude_id=exclude_id)
    return selectors.practices_that_fit(facts, exclude_id=exclude_id)
