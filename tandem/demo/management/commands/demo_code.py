from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import User
from tandem.demo import practice as demo


class Command(BaseCommand):
    help = "Print the current one-time (TOTP) code of a demo account. Demo configuration only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help=f"a demo account, e.g. ...@{demo.DEMO_EMAIL_DOMAIN}")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            demo.require_demo_mode()
        except demo.DemoModeRequired as exc:
            raise CommandError(str(exc)) from None
        if not demo.is_demo_email(email):
            raise CommandError(
                f"Only demo accounts (@{demo.DEMO_EMAIL_DOMAIN}) have codes printed here."
            )
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(
                "No demo account uses that email. Run 'manage.py demo_logins' for the list."
            )
        current = demo.current_code(user)
        if current is None:
            self.stdout.write("That account has no one-time codes: sign in with the password only.")
            return
        self.stdout.write(current.code)
        self.stderr.write(f"(valid for about {current.seconds_left} more seconds)")
