"""Import a practice's roster (a FHIR Bundle of Patients, Practitioners, PractitionerRoles and
its Organization) from a JSON file, acting as one of its admins, and print the report.

All of it is imported or nothing: on any refused entry the command lists every problem by
its FHIRPath and exits with a non-zero status.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import User
from tandem.core.policy import Forbidden
from tandem.fhir.roster import UnreadableFile, import_roster, read_json
from tandem.organisations.models import Organisation


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id.")
        parser.add_argument(
            "--as", dest="actor", required=True, help="Email of an admin of the practice."
        )
        parser.add_argument("file", help="The Bundle, as a JSON file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(public_id=options["practice"])
            actor = User.objects.get(email__iexact=options["actor"])
        except (Organisation.DoesNotExist, User.DoesNotExist, ValidationError):
            raise CommandError("No such practice or user.") from None
        try:
            bundle = read_json(Path(options["file"]).read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        except UnreadableFile as error:
            raise CommandError(str(error)) from None
        try:
            report = import_roster(actor=actor, organisation=organisation, bundle=bundle)
        except Forbidden:
            raise CommandError(
                "Only the practice's admins (with a second factor) import its roster."
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        if not report.applied:
            raise CommandError("The roster was rejected: nothing imported.")
