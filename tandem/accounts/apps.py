from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
    label = "accounts"

    def ready(self) -> None:
        # deferred: Django's ready() hook; the receivers need the models loaded
        from tandem.accounts import receivers  # noqa: F401  (audit rows for sign-in events)
