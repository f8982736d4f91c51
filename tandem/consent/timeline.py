"""The consent gate of a page that shows a client's shared items to one viewer.

Every item written by another organisation passes through ``Gate`` before it is
shown: the consent decision for treatment coordination, judged once per item
against one loaded context, and the first showing of each allowed item recorded
in the client's accounting of disclosures in one go for the page. The timeline's
providers (``tandem.core.timeline``) and the care pages use it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils import timezone

from tandem.clients.models import Client
from tandem.consent import actions as consent_actions
from tandem.consent.actions import Shown
from tandem.consent.categories import Purpose
from tandem.consent.decision import ConsentContext, Decision, Party, decide

#: The purpose of every showing between the organisations of a care team.
PURPOSE = Purpose.TREATMENT_COORDINATION


class Gate:
    """Judge, for one viewer, whether items written by other organisations may be shown.

    Items shown to the viewer's organisation are collected as they are judged;
    ``account()`` then records the first showing of each in the client's
    accounting of disclosures, in one go for the whole page.
    """

    def __init__(
        self,
        viewer: Any,
        client: Client,
        viewer_org_id: int | None,
        context: ConsentContext | None = None,
    ) -> None:
        self.viewer = viewer
        self.client = client
        self.viewer_org_id = viewer_org_id
        # A page judging many clients' items loads their releases once and passes them in.
        self.context = context if context is not None else ConsentContext.load([client.pk])
        self.now = timezone.now()
        self.shown: list[Shown] = []
        # Each (category, practice, author) judged once: ``decide`` is a pure function of
        # them for one gate (one client, viewer, context and moment), and a page's items
        # mostly share a few (one practice's twenty questionnaire results). Kept for this
        # gate, this request only.
        self._decided: dict[tuple[str, int, int | None], Decision] = {}

    def __call__(
        self,
        category: str,
        org_id: int,
        author_id: int | None,
        *,
        obj: Any = None,
        description: str = "",
    ) -> Decision | None:
        """Return None for the viewer's own organisation's items, else the consent decision.

        Pass the item as ``obj`` (and how the accounting names it) when the page
        shows it once allowed, so that showing is accounted.
        """
        if self.viewer_org_id is None:
            return self._decide(category, Party(org_id, author_id), Party(-1, self.viewer.pk))
        if org_id == self.viewer_org_id:
            return None
        source = Party(org_id, author_id)
        decision = self._decide(category, source, Party(self.viewer_org_id, self.viewer.pk))
        if decision.allowed and obj is not None:
            self.shown.append(Shown(obj, category, source, decision, description))
        return decision

    def _decide(self, category: str, source: Party, recipient: Party) -> Decision:
        """Return ``decide``'s answer for this gate, as a decision object of this item's own."""
        key = (category, source.organisation_id, source.user_id)
        decided = self._decided.get(key)
        if decided is None:
            decided = self._decided[key] = decide(
                self.context,
                client_id=self.client.pk,
                category=category,
                source=source,
                recipient=recipient,
                purpose=PURPOSE,
                now=self.now,
            )
        # A copy per item: a page tells the items it shows from those it cut by the
        # identity of their decisions (``care.selectors.timeline_page``).
        return replace(decided)

    def shown_despite(
        self, refused: Decision, obj: Any, source: Party, description: str, basis: str
    ) -> None:
        """Collect an item the page shows though consent refused it, under another ``basis``."""
        if self.viewer_org_id is not None:
            self.shown.append(
                Shown(obj, refused.category, source, refused, description, basis=basis)
            )

    def account(self) -> None:
        """Record the first showing of each item judged shown (see ``consent.actions``)."""
        if self.shown and self.viewer_org_id is not None:
            consent_actions.account_shown(
                viewer=self.viewer,
                client=self.client,
                recipient_organisation_id=self.viewer_org_id,
                purpose=PURPOSE,
                shown=self.shown,
            )
        self.shown = []
