"""Background work of intake: acknowledging a question sent through the contact form."""

from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from tandem.core import crisis_lines
from tandem.intake.models import ContactMessage

ACK_SUBJECT = "We received your message"
ACK_BODY = (
    "Hello,\n\n"
    "Thank you for your message. A coordinator will reply within two business days.\n\n"
    "For your privacy, please do not send clinical details by email.\n"
    "This service is not monitored for emergencies. " + crisis_lines.TEXT + "\n"
)


@task()
def acknowledge_contact(message_id: int) -> None:
    """Send the sender a fixed acknowledgement, once (a retried task finds it already sent)."""
    with transaction.atomic():
        message = (
            ContactMessage.objects.select_for_update()
            .filter(pk=message_id, acknowledged_at__isnull=True)
            .first()
        )
        if message is None:
            return
        send_mail(ACK_SUBJECT, ACK_BODY, None, [message.email])
        message.acknowledged_at = timezone.now()
        message.save(update_fields=["acknowledged_at"])


@task()
def purge_unverified_intakes() -> None:
    """Delete the appointment bot's sessions that nobody verified within the week."""
    from tandem.intake.actions import purge_unverified

    purge_unverified()
