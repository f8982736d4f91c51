"""What organisations' actions announce; receivers in tasks.py queue the work that follows."""

from django.dispatch import Signal

#: An invitation was created (sent inside the action's transaction): email its link.
#: Arguments: ``invitation_id``.
invitation_created = Signal()
