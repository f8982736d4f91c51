"""The response clock, run by the task worker at the moment a referral falls due."""

from functools import partial

from django.db import transaction
from django.tasks import task
from django.urls import reverse

from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.referrals.models import Referral
from tandem.referrals.models import ReferralStatus as S

#: Still waiting for the practice's first response in these states.
_UNANSWERED = frozenset({S.SENT})


@task()
def check_response_clock(referral_id: int, level: int) -> None:
    """Mark an unanswered referral overdue and tell the practice; escalate a business day later.

    Level 1 runs at the due time and tells the coordinators and admins; level 2
    runs at the close of the next business day and tells them again, with the
    on-call prescriber. Idempotent: a level already reached is not repeated.
    """
    from tandem.referrals.actions import _enqueue_clock, _on_call, _practice_staff

    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("to_organisation__referral_policy")
            .filter(pk=referral_id)
            .first()
        )
        if referral is None or referral.status not in _UNANSWERED or referral.responded_at:
            return
        if referral.overdue_level >= level:
            return
        referral.overdue_level = level
        referral.save(update_fields=["overdue_level"])
        link = reverse("referrals:detail", kwargs={"referral_id": referral.public_id})
        org_id = referral.to_organisation_id
        staff = _practice_staff(org_id, (Role.COORDINATOR, Role.PRACTICE_ADMIN))
        if level >= 2:
            staff += _on_call(org_id)
        notify(
            staff,
            NotificationKind.REFERRAL_OVERDUE,
            link,
            dedupe_key=f"referral-overdue:{referral.public_id}:{level}",
            reference=referral.reference,
        )
        if level == 1:
            calendar = referral.to_organisation.referral_policy.calendar()
            local_due = calendar.local(referral.due_at).date() if referral.due_at else None
            if local_due is not None:
                escalate_at = calendar.close_of(calendar.next_business_day(local_due))
                transaction.on_commit(
                    partial(_enqueue_clock, check_response_clock, referral.pk, 2, escalate_at)
                )
