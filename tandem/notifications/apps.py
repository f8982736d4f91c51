from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tandem.notifications"
    label = "notifications"

    def ready(self) -> None:
        # deferred: receivers register once the app registry is ready (Django's hook).
        from tandem.notifications import tasks  # noqa: F401  (task receivers)
