"""The one door to client records."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role

#: Care-team roles that change clinical records and write clinical items (coordinators
#: read and schedule). Every app's team rule uses these unless it names its own.
CLINICIAN_ROLES: tuple[str, ...] = (Role.THERAPIST, Role.PRESCRIBER)


def on_care_team(
    user: Any, client_path: str = "client", roles: tuple[str, ...] | None = None
) -> Exists:
    """The one care-team test, as a subquery on the client at ``client_path``.

    True where ``user`` holds a seat that has not ended on that client's care team,
    through an active membership of an active organisation (leaving the practice, or
    the practice closing, ends access at once), optionally in one of ``roles``.
    ``client_path`` is the lookup from the filtered model to its client (``"pk"`` on
    ``Client`` itself, ``"client"``, ``"message__client"``, …).
    """
    return Exists(current_seats(user, roles).filter(client=OuterRef(client_path)))


def current_seats(
    user: Any, roles: tuple[str, ...] | None = None
) -> models.QuerySet[CareTeamMember]:
    """Return ``user``'s current seats: the one statement of what a seat that grants access is.

    A seat that has not ended, through an active membership of an active organisation
    (``policy.active_memberships``), optionally in one of ``roles``. ``on_care_team``,
    ``seat``, ``seats`` and ``seated_client_and_seat_for`` all filter this queryset, so
    a change to the rule here changes every one of them.
    """
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    team = CareTeamMember.objects.filter(
        user=user, ended_on__isnull=True, organisation_id__in=org_ids
    )
    if roles is not None:
        team = team.filter(role__in=roles)
    return team


def team_rule(
    client_path: str = "client",
    *,
    client_may_view: bool = False,
    change_roles: tuple[str, ...] = CLINICIAN_ROLES,
) -> policy.ScopeFn:
    """Return the care-team access rule for a model whose client is at ``client_path``.

    Who: the client's care team (with MFA) views; its members in ``change_roles``
    change; the client themself views too when ``client_may_view``. Nobody manages.
    Whether an item written by another organisation may be *shown* is the consent
    engine's decision, taken by the app's selectors; this rule only decides who is
    on the team.
    """
    own_path = "user" if client_path == "pk" else f"{client_path}__user"

    def rule(user: Any, action: Action, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if not policy.may_see_clinical_data(user):
            return qs.none()
        if action == Action.VIEW:
            team = Q(on_care_team(user, client_path))
            if client_may_view:
                return qs.filter(team | Q(**{own_path: user}))
            return qs.filter(team)
        if action == Action.CHANGE:
            return qs.filter(on_care_team(user, client_path, change_roles))
        return qs.none()

    return rule


def register_team_rule(
    model: type[models.Model],
    client_path: str = "client",
    *,
    client_may_view: bool = False,
    change_roles: tuple[str, ...] = CLINICIAN_ROLES,
) -> None:
    """Register the care-team rule (``team_rule``) as the access rule for ``model``."""
    policy.rule(model)(
        team_rule(client_path, client_may_view=client_may_view, change_roles=change_roles)
    )


register_team_rule(Client, "pk", client_may_view=True)


def client_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Client:
    """Return the client the actor may ``action``, recording the read; 404 for missing or forbidden."""
    return client_and_seat_for(actor, public_id, action)[0]


def client_and_seat_for(
    actor: Any, public_id: Any, action: Action = Action.VIEW
) -> tuple[Client, CareTeamMember | None]:
    """Return ``client_for``'s client and the actor's ``seat`` on its care team.

    A viewing read looks the seat up anyway (the audit row names the practice through
    which the actor reads): a page that needs the seat too takes it from here. For
    any other ``action`` nothing is read beyond the client, and the seat is None.
    """
    client = policy.get_or_404(actor, action, Client.objects.all(), public_id=public_id)
    member = None
    if action == Action.VIEW:
        member = seat(actor, client)
        _record_view(actor, client, member)
    return client, member


def _record_view(actor: Any, client: Client, member: CareTeamMember | None) -> None:
    """Record ``actor``'s viewing read of ``client`` through ``member`` (their seat, if any)."""
    record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=client,
        client=client,
        # The practice through which the actor reads, so its admins see the read.
        organisation=member.organisation if member else None,
        actor_role=member.role if member else actor_role_for(actor, client),
    )


def seated_client_and_seat_for(actor: Any, public_id: Any) -> tuple[Client, CareTeamMember] | None:
    """Return ``client_and_seat_for``'s viewing read when the actor holds a seat; else None.

    One query where that takes two: the seat with its client joined. A current seat
    (``current_seats``, the very queryset ``on_care_team`` asks to exist) is what the
    client's access rule grants a viewing read for, so, for an actor who may see
    clinical data, finding the seat is finding a client they may view; the seat is the
    one ``seat`` returns (the lowest pk) and the read is recorded as there. The seat's
    practice is the membership's organisation the request already read (the same row),
    not joined again. None (nothing read or recorded beyond the one query) when the
    actor has no such seat: the caller then takes ``client_and_seat_for``'s answer,
    which may still be the client's own record or a 404.
    """
    if not policy.may_see_clinical_data(actor):
        return None
    organisations = {m.organisation_id: m.organisation for m in policy.active_memberships(actor)}
    try:
        member = (
            current_seats(actor)
            .filter(client__public_id=public_id)
            .select_related("client")
            .order_by("pk")
            .first()
        )
    except (ValueError, ValidationError):
        return None
    if member is None:
        return None
    member.organisation = organisations[member.organisation_id]
    client = member.client
    _record_view(actor, client, member)
    return client, member


def own_record(actor: Any) -> Client | None:
    """Return the signed-in client's own record, or None for anyone who is not a client."""
    if not policy.is_signed_in(actor):
        return None
    return Client.objects.filter(user=actor).first()


def seat(actor: Any, client: Client, roles: tuple[str, ...] | None = None) -> CareTeamMember | None:
    """Return the actor's seat on the client's care team, if they hold one.

    The same rule as ``on_care_team``: a seat that has not ended, through an active
    membership of an active organisation, optionally in one of ``roles``.
    """
    return (
        current_seats(actor, roles)
        .filter(client=client)
        .select_related("organisation")
        .order_by("pk")
        .first()
    )


def seats(actor: Any, client_ids: Any) -> dict[int, CareTeamMember]:
    """Return ``seat`` for each of ``client_ids`` that has one (by client id), in one query."""
    found: dict[int, CareTeamMember] = {}
    for member in (
        current_seats(actor)
        .filter(client_id__in=list(client_ids))
        .select_related("organisation")
        .order_by("-pk")
    ):
        found[member.client_id] = member  # the lowest pk wins, as in ``seat``
    return found


def actor_role_for(actor: Any, client: Client) -> str:
    """Return the role in which ``actor`` reaches ``client`` (for the audit row)."""
    if client.user_id == actor.pk:
        return Role.CLIENT
    member = seat(actor, client)
    return member.role if member else ""


def caseload_for(actor: Any) -> models.QuerySet[Client]:
    """Return the clients on the actor's active care teams (clients themselves get none)."""
    org_ids = [m.organisation_id for m in policy.active_memberships(actor)]
    return (
        policy.scope(actor, Action.VIEW, Client.objects.all())
        .filter(
            care_team__user=actor,
            care_team__ended_on__isnull=True,
            care_team__organisation_id__in=org_ids,
        )
        .distinct()
    )
