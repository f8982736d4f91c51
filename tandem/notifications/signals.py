"""What ``notify`` announces, for work done later by ``tasks``.

Sent inside the caller's transaction with ids; the receiver in
``tandem.notifications.tasks`` enqueues the email once the transaction commits.
"""

from django.dispatch import Signal

#: A notification was created: email its recipient. Sent with ``notification_id``.
notification_created = Signal()
