from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tandem.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from tandem.scheduling import (
            access,  # noqa: F401  (registers the access rules)
            settings_views,  # noqa: F401  (registers its practice settings sections)
        )
