"""Background work of organisations: emailing an invitation's link.

The actions never import this module: they send a signal (signals.py) and the
receiver here queues the task once their transaction commits.
"""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.core.tasks import enqueue_on_commit
from tandem.organisations import signals
from tandem.organisations.access import invitation_link_token
from tandem.organisations.models import Invitation, InvitationStatus

INVITATION_SUBJECT = "You are invited to join a practice on Tandem"
INVITATION_BODY = (
    "Hello,\n\n"
    "A practice on Tandem has invited you to work with them. Open this link to see who "
    "invited you and in which role, and to accept or decline:\n\n"
    "{url}\n\n"
    "Sign in (or create an account) with this email address to answer. The link works "
    "until {expires} (UTC). If you did not expect this, ignore this email: nothing changes "
    "unless you accept.\n"
)


@task()
def send_invitation(invitation_id: int) -> None:
    """Email the invitation's link, once (a retried task finds it already sent)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation_id, emailed_at__isnull=True, status=InvitationStatus.PENDING)
            .first()
        )
        if invitation is None:
            return
        url = settings.TANDEM_BASE_URL.rstrip("/") + reverse(
            "organisations:invitation", args=[invitation_link_token(invitation)]
        )
        send_mail(
            INVITATION_SUBJECT,
            INVITATION_BODY.format(
                url=url, expires=f"{invitation.expires_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
            ),
            None,
            [invitation.email],
        )
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])


@receiver(signals.invitation_created, dispatch_uid="organisations.send_invitation")
def _email_new_invitation(sender: object, *, invitation_id: int, **kwargs: object) -> None:
    enqueue_on_commit(send_invitation, invitation_id)
