from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.demo import scale


class Command(BaseCommand):
    help = (
        "Build a synthetic network at the size of a real one (issue 12) on an empty database, "
        "fast (COPY on PostgreSQL). Demo or bench configuration only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply every full-scale size by this (0.1: a tenth). Explicit sizes win.",
        )
        for name in ("practices", "therapists", "clients", "referrals", "responses", "audit"):
            parser.add_argument(
                f"--{name}",
                type=int,
                default=None,
                help=f"how many {name} (full scale: {getattr(scale.FULL, name):,})",
            )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add a second network beside the people already in the database.",
        )
        parser.add_argument("--seed", type=int, default=12, help="random seed for the mix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scale.require_scale_configuration()
        except scale.ScaleConfigurationRequired as exc:
            raise CommandError(str(exc)) from None
        sizes = scale.FULL.scaled(options["scale"])
        explicit = {
            name: options[name]
            for name in ("practices", "therapists", "clients", "referrals", "responses", "audit")
            if options[name] is not None
        }
        sizes = scale.Sizes(**{**sizes.__dict__, **explicit})
        if sizes.practices < 1 or sizes.therapists < 1 or sizes.clients < 1:
            raise CommandError("A network needs at least one practice, therapist and client.")
        self.stdout.write(f"Building {scale.describe(sizes)} …")
        try:
            world = scale.seed_scale(
                sizes,
                append=options["append"],
                seed=options["seed"],
                progress=lambda line: self.stdout.write(f"  {line}"),
            )
        except scale.DatabaseNotEmpty as exc:
            raise CommandError(str(exc)) from None
        total = sum(world.timings.values())
        rows = ", ".join(f"{n:,} {label}" for label, n in sorted(world.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Built in {total:.1f} s: {rows}."))
        first = world.practices[0]
        self.stdout.write(
            "Sign in with the demo password and 'manage.py demo_code EMAIL', e.g. "
            f"{first.prescribers[0].email}, {first.coordinators[0].email}, "
            f"{first.admins[0].email}, {world.therapy[0].therapists[0].email}."
        )
