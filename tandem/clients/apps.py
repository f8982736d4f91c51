from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "tandem.clients"
    label = "clients"

    def ready(self) -> None:
        # deferred: rules register once the app registry is ready (Django's hook).
        from tandem.clients import access  # noqa: F401  (registers the access rules)
