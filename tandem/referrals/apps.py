from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    label = "referrals"

    def ready(self) -> None:
        # access registers the access rules; tasks connects the background-work receivers.
        from tandem.referrals import access, tasks  # noqa: F401
