from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tandem.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # deferred: access rules, background-work receivers and timeline providers register
        # once the app registry is ready (Django's hook).
        from tandem.core.timeline import Kind, register
        from tandem.scheduling import access, tasks  # noqa: F401
        from tandem.scheduling.timeline import appointments

        register((Kind.APPOINTMENT,), appointments)
