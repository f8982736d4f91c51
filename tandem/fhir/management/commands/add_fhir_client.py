"""Register an EHR as a FHIR system client of a practice and print its credentials once."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import User
from tandem.fhir.actions import register_system_client
from tandem.organisations.models import Organisation


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id.")
        parser.add_argument(
            "--user", required=True, help="Email of the staff member accountable for the system."
        )
        parser.add_argument("--name", default="EHR", help="What the system is called.")
        parser.add_argument(
            "--scopes", default="system/*.read", help='SMART scopes, e.g. "system/*.read".'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(public_id=options["practice"])
            user = User.objects.get(email__iexact=options["user"])
        except (Organisation.DoesNotExist, User.DoesNotExist, ValidationError):
            raise CommandError("No such practice or user.") from None
        try:
            credentials = register_system_client(
                actor=None,
                organisation=organisation,
                acting_user=user,
                name=options["name"],
                scopes=options["scopes"],
            )
        except ValidationError as error:
            raise CommandError(
                " ".join(m for ms in error.message_dict.values() for m in ms)
            ) from None
        self.stdout.write(f"client_id={credentials.client_id}")
        self.stdout.write(f"client_secret={credentials.client_secret}")
        self.stdout.write("Keep the secret now: Tandem stores only its hash.")
