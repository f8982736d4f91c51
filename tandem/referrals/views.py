from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.referrals import selectors
from tandem.referrals.access import referral_for, side_of


@login_required
@require_GET
def detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    """Show a referral as the viewer's side may see it (the practice sees consented parts only)."""
    referral = referral_for(request.user, referral_id)
    side = side_of(request.user, referral)
    sections = selectors.packet(request.user, referral, side)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "side": side,
            "sections": sections,
            "events": referral.events.select_related("actor"),
            "waiting": selectors.waiting_for(referral),
            "time_left": selectors.time_left(referral),
        },
    )
