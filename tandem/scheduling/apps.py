from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tandem.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers
        # the access rules, the background-work receivers, the practice settings sections
        # and the timeline provider.
        from tandem.core.timeline import Kind, register
        from tandem.scheduling import access, settings_views, tasks  # noqa: F401
        from tandem.scheduling.models import Appointment
        from tandem.scheduling.timeline import appointments

        register(
            (Kind.APPOINTMENT,), appointments, tables={Kind.APPOINTMENT: (Appointment, "client")}
        )
