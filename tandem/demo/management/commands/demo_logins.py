from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tandem.accounts.models import User
from tandem.demo import practice as demo


class Command(BaseCommand):
    help = (
        "Print the demo URL, logins, password and current one-time codes. Demo configuration only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo.require_demo_mode()
        except demo.DemoModeRequired as exc:
            raise CommandError(str(exc)) from None
        logins = demo.demo_logins()
        users = {
            u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])
        }
        if not users:
            raise CommandError("There are no demo accounts yet: run 'manage.py seed_demo' first.")
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"Tandem demo: {settings.TANDEM_BASE_URL}"))
        out(f"Password for every demo account: {demo.DEMO_PASSWORD}")
        out("")
        out("Try each role: sign in with the email and password, then type the one-time code.")
        fixed = demo.fixed_demo_code()
        if fixed:
            out(f"The demo also accepts the fixed code {fixed} for every account, at any time.")
        out("Real codes change every 30 seconds; for a fresh one run:")
        out("    .venv/bin/python manage.py demo_code EMAIL")
        out("")
        main = [login for login in logins if login.main_for]
        width = max(len(login.email) for login in logins)
        out(f"  {'role':<15} {'email':<{width}}  one-time code now")
        for login in main:
            user = users.get(login.email)
            if user is None:
                continue
            current = demo.current_code(user)
            code = (
                f"{current.code}  (for {current.seconds_left} s)"
                if current
                else "none needed (clients may opt in to MFA)"
            )
            out(f"  {login.main_for:<15} {login.email:<{width}}  {code}")
        out("")
        out("Every demo account:")
        for login in logins:
            if login.email in users:
                out(f"  {login.email:<{width}}  {login.roles}, {login.practice}")
        out("")
