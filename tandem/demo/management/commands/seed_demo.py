from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandem.demo import practice as demo
from tandem.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Build the synthetic demo world (idempotent: a second run changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo.require_demo_mode()
        except demo.DemoModeRequired as exc:
            raise CommandError(str(exc)) from None
        world = seed_demo()
        if not world.created and not world.changed:
            self.stdout.write("Demo world already up to date.")
            return
        parts = [f"{n} {label} created" for label, n in world.created.items()]
        parts += [f"{n} {label} updated" for label, n in world.changed.items()]
        self.stdout.write(self.style.SUCCESS("Demo world ready: " + ", ".join(parts) + "."))
