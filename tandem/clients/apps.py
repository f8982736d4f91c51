from django.apps import AppConfig
from django.db.models import OuterRef, Subquery


class ClientsConfig(AppConfig):
    name = "tandem.clients"
    label = "clients"

    def ready(self) -> None:
        # deferred: Django's ready() hook; these modules need the models loaded
        from tandem.clients import (
            access,  # noqa: F401  (registers the access rules)
            naming,
        )
        from tandem.clients.models import Client
        from tandem.core import policy
        from tandem.notifications import selectors as notifications

        # The in-app notifications (a lower layer) name their client through the policy here.
        notifications.register_namer(naming.names)

        # The policy (in core, below every domain app) asks here for a user's client record,
        # and loads it with the signed-in user (one record at most: ``Client.user`` is one-to-one).
        policy.register_client_record(
            lambda user: Client.objects.filter(user=user).values_list("pk", flat=True).first(),
            column=Subquery(Client.objects.filter(user=OuterRef("pk")).order_by().values("pk")[:1]),
        )
