"""The crisis rota's card on the practice settings page: who is on call now, and any gap."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tandem.care.crisis import selectors
from tandem.organisations.models import Organisation, OrganisationKind
from tandem.organisations.settings_sections import register_section


def _card(organisation: Organisation) -> dict[str, Any]:
    if organisation.kind != OrganisationKind.PSYCHIATRIC_PRACTICE:
        return {"takes_alerts": False}
    now = timezone.now()
    return {
        "takes_alerts": True,
        "on_call": selectors.on_call_now(organisation, now),
        "gaps": selectors.rota_gaps(organisation, now, now + selectors.ROTA_LOOKAHEAD),
    }


register_section(
    "On-call rota",
    order=55,
    template="care/_rota_card.html",
    context=_card,
)
