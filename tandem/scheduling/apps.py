from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tandem.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from tandem.core.timeline import Kind, register
        from tandem.scheduling import access  # noqa: F401  (registers the access rules)
        from tandem.scheduling.timeline import appointments

        register((Kind.APPOINTMENT,), appointments)
