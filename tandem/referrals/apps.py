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
        from tandem.referrals.models import Referral
        from tandem.referrals.timeline import referral_steps

        # (a step's rows hang from the client's referrals: no referral, no step)
        register((Kind.REFERRAL,), referral_steps, tables={Kind.REFERRAL: (Referral, "client")})
