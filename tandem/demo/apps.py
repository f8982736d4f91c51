from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Holds the demo seeders and the ``seed_demo``, ``demo_code`` and ``demo_logins`` commands."""

    name = "tandem.demo"
    label = "demo"
