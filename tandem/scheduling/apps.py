from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tandem.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # access registers the access rules; tasks connects the background-work receivers.
        from tandem.scheduling import access, tasks  # noqa: F401
