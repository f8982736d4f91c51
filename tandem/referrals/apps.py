from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    label = "referrals"

    def ready(self) -> None:
        # deferred: access rules, background-work receivers and timeline providers register
        # once the app registry is ready (Django's hook).
        from tandem.core.timeline import Kind, register
        from tandem.referrals import access, tasks  # noqa: F401
        from tandem.referrals.timeline import referral_steps

        register((Kind.REFERRAL,), referral_steps)
