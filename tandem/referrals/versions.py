"""Each version of a referral, kept as the loop's fields stood (never the packet's text).

``stamp`` is called wherever a referral's version is bumped (``states.move``, a draft
saved, a document added, a visit moved, and the referral's start), inside the same
transaction, so every version a reader was ever shown has its row.
"""

from __future__ import annotations

from tandem.referrals.models import Referral, ReferralVersion


def stamp(referral: Referral, *, packet_changed: bool = False) -> ReferralVersion:
    """Record the referral's current version (call after saving it)."""
    return ReferralVersion.objects.create(
        referral=referral,
        version=referral.version,
        status=referral.status,
        decline_reason=referral.decline_reason,
        urgent=referral.urgent,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        at=referral.updated_at,
        packet_changed=packet_changed,
    )
