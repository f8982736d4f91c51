from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    label = "referrals"

    def ready(self) -> None:
        from tandem.core.timeline import Kind, register
        from tandem.referrals import access  # noqa: F401  (registers the access rules)
        from tandem.referrals.timeline import referral_steps

        register((Kind.REFERRAL,), referral_steps)
