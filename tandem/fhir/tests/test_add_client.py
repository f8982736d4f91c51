"""Registering an EHR: its credentials work once printed, and nothing loose is accepted."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.tests.factories import CareWorld
from tandem.fhir.models import SystemClient
from tandem.fhir.tests.factories import Api

pytestmark = pytest.mark.django_db


def test_the_printed_credentials_get_a_token_that_reads_as_the_practice():
    world = CareWorld()
    out = io.StringIO()

    call_command(
        "add_fhir_client",
        practice=str(world.therapy.public_id),
        user=world.therapist.email,
        scopes="system/*.read",
        stdout=out,
    )

    client_id = re.search(r"client_id=(\S+)", out.getvalue()).group(1)
    secret = re.search(r"client_secret=(\S+)", out.getvalue()).group(1)
    token = Api("").http.post(
        "/fhir/auth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert token.status_code == 200, token.content
    api = Api(token.json()["access_token"])
    assert api.get(f"/fhir/Patient/{world.client.public_id}").status_code == 200
    system = SystemClient.objects.get()
    assert system.application.client_secret != secret  # stored hashed
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(system.public_id)
    ).exists()


def test_a_person_outside_the_practice_or_an_unknown_scope_is_refused():
    world = CareWorld()

    with pytest.raises(CommandError, match="active member"):
        call_command(
            "add_fhir_client",
            practice=str(world.psychiatry.public_id),
            user=world.therapist.email,
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError, match=r"Unknown scopes: system/Everything\.read"):
        call_command(
            "add_fhir_client",
            practice=str(world.therapy.public_id),
            user=world.therapist.email,
            scopes="system/Everything.read",
            stdout=io.StringIO(),
        )
    assert SystemClient.objects.count() == 0
