from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    label = "referrals"

    def ready(self) -> None:
        from tandem.referrals import (
            access,  # noqa: F401  (registers the access rules)
            settings_views,  # noqa: F401  (registers its practice settings sections)
        )
