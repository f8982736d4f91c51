from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    label = "referrals"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers
        # the access rules, the background-work receivers, the practice settings sections
        # and the timeline provider.
        from tandem.core.timeline import Kind, register
        from tandem.referrals import access, settings_views, tasks  # noqa: F401
        from tandem.referrals.timeline import referral_steps

        register((Kind.REFERRAL,), referral_steps)
