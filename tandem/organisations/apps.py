from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "tandem.organisations"
    label = "organisations"

    def ready(self) -> None:
        # deferred: Django's ready() hook; these modules need the models loaded
        from tandem.organisations import (
            access,  # noqa: F401  (registers the access rules)
            settings_views,  # noqa: F401  (registers its practice settings sections)
            tasks,  # noqa: F401  (connects the signal receivers)
        )
