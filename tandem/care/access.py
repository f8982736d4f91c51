"""The one door to collaboration items: active care-team members (with MFA) of the client.

Each sub-domain registers its models through the one care-team rule
(``tandem.clients.access.register_team_rule``) in its own ``access`` module;
this module holds what they share. Whether an item written by another
organisation may be *shown* is the consent engine's decision, taken in the
selectors; these rules only decide who is on the team. Leaving the care team
ends access at once: every rule checks the seat on each request.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from tandem.clients.access import (
    client_and_seat_for,
    client_for,
    seat,
    seated_client_and_seat_for,
)
from tandem.clients.models import CareTeamMember, Client
from tandem.core import policy
from tandem.core.policy import Action


def team_client_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Client:
    """Return the client whose care team the actor sits on (audited read); 404 otherwise."""
    client = client_for(actor, public_id, action)
    if seat(actor, client) is None:
        raise Http404("Not found.")
    return client


def team_client_and_seat(actor: Any, public_id: Any) -> tuple[Client, CareTeamMember]:
    """Return ``team_client_for``'s client (a viewing read) and the actor's seat on its team.

    The seat is the one the audited read looked up: a page that needs it reads it once.
    A member of the team is read in one query, the seat with its client
    (``seated_client_and_seat_for``); anyone else as before, 404 or not.
    """
    seated = seated_client_and_seat_for(actor, public_id)
    if seated is not None:
        return seated
    client, member = client_and_seat_for(actor, public_id, Action.VIEW)
    if member is None:
        raise Http404("Not found.")
    return client, member


def item_for[M: models.Model](
    actor: Any,
    model: type[M],
    public_id: Any,
    action: Action = Action.VIEW,
    client_path: str = "client",
) -> M:
    """Return the care item the actor may ``action`` (with its client joined); 404 otherwise."""
    return policy.get_or_404(
        actor, action, model._default_manager.select_related(client_path), public_id=public_id
    )
