"""Register a SMART app that people of a practice may allow to act for them; print its client id."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.fhir.actions import register_user_app
from tandem.organisations.models import Organisation


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id.")
        parser.add_argument("--name", required=True, help="What the app is called.")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            help="Where Tandem sends the person back (https, exact match); repeat for several.",
        )
        parser.add_argument(
            "--scopes", default="user/*.read", help='SMART user scopes, e.g. "user/*.read".'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(public_id=options["practice"])
        except (Organisation.DoesNotExist, ValidationError):
            raise CommandError("No such practice.") from None
        try:
            registered = register_user_app(
                actor=None,
                organisation=organisation,
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                scopes=options["scopes"],
            )
        except ValidationError as error:
            raise CommandError(
                " ".join(m for ms in error.message_dict.values() for m in ms)
            ) from None
        self.stdout.write(f"client_id={registered.client_id}")
        self.stdout.write(
            "A public client: it has no secret, and proves each code with PKCE (S256)."
        )
