"""An invitation's states: the one place its status changes.

An invitation starts pending; the invitee accepts or declines it, an admin withdraws it,
or it expires (found out of date when the same address is invited again). Every closed
state is final.
"""

from collections.abc import Iterable

from tandem.organisations.models import Invitation, InvitationStatus

TRANSITIONS: dict[InvitationStatus, frozenset[InvitationStatus]] = {
    InvitationStatus.PENDING: frozenset(
        {
            InvitationStatus.ACCEPTED,
            InvitationStatus.DECLINED,
            InvitationStatus.REVOKED,
            InvitationStatus.EXPIRED,
        }
    ),
    InvitationStatus.ACCEPTED: frozenset(),
    InvitationStatus.DECLINED: frozenset(),
    InvitationStatus.REVOKED: frozenset(),
    InvitationStatus.EXPIRED: frozenset(),
}


class InvalidTransition(ValueError):
    """The table has no move from the invitation's status to the one asked for."""


def move(invitation: Invitation, target: InvitationStatus, *, also: Iterable[str] = ()) -> None:
    """Move ``invitation`` to ``target`` if the table allows it, and save it.

    ``also`` names the other fields the caller changed with the status (who answered,
    when), saved in the same write. The caller holds the row lock.
    """
    current = InvitationStatus(invitation.status)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"An invitation cannot go from {current} to {target}.")
    invitation.status = target
    invitation.save(update_fields=["status", *also])
