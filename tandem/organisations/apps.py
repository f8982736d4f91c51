from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "tandem.organisations"
    label = "organisations"

    def ready(self) -> None:
        from tandem.organisations import (
            access,  # noqa: F401  (registers the access rules)
            settings_views,  # noqa: F401  (registers its practice settings sections)
        )
