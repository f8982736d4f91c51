"""Telehealth visit safety data: where the client is, a callback number, an emergency contact.

At check-in the client confirms the physical address they are at and a number
to call back on if the video drops, and keeps an emergency contact on their
record; the prescriber sees all three on the appointment page during the visit.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling import actions
from tandem.scheduling.models import LocationAttestation, SchedulingSettings
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.tests.factories import at

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday
DURING = SLOT - dt.timedelta(minutes=10)
VIDEO = "https://video.example.test/room-7"

CHECK_IN = {
    "street": "12 Elm Street, Apt 3",
    "city": "Springfield",
    "state": "MA",
    "callback_phone": "413-555-0142",
    "emergency_name": "Robin Ash",
    "emergency_relationship": "Sister",
    "emergency_phone": "(413) 555-0199",
}


def _confirmed(p):
    with time_machine.travel(NOW, tick=False):
        appointment = actions.hold_slot(
            actor=p.client_user, organisation=p.org, prescriber=p.prescriber,
            appointment_type=p.new_eval, starts_at=SLOT, client=p.client,
        )  # fmt: skip
        appointment = actions.put_payment_on_file(
            actor=p.client_user, appointment=appointment, provider=OfflineProvider(), token="agree"
        )
        return actions.confirm(actor=p.coordinator, appointment=appointment)


def _practice():
    p = practice_with_policy()
    SchedulingSettings.objects.update_or_create(organisation=p.org, defaults={"video_link": VIDEO})
    return p


def test_the_client_confirms_address_callback_and_emergency_contact_and_the_prescriber_sees_them(
    client,
):
    # Given a confirmed telehealth visit, ten minutes before it starts
    p = _practice()
    appointment = _confirmed(p)
    page_url = reverse("scheduling:appointment", args=[appointment.public_id])
    with time_machine.travel(DURING, tick=False):
        # When the client opens the visit, the video link waits for the check-in
        client.force_login(p.client_user)
        before = client.get(page_url).content.decode()
        assert VIDEO not in before
        assert "Check in to get the video link." in before

        # and they check in with where they are, a callback number and an emergency contact
        response = client.post(
            reverse("scheduling:check_in", args=[appointment.public_id]), CHECK_IN
        )

        # Then the check-in is stored on the appointment, the phones in one format
        assert response.status_code == 302
        assert response["Location"] == page_url
        [attested] = LocationAttestation.objects.all()
        assert (attested.street, attested.city, attested.state, attested.callback_phone) == (
            "12 Elm Street, Apt 3",
            "Springfield",
            "MA",
            "(413) 555-0142",
        )
        assert attested.appointment == appointment
        # and the emergency contact is kept on the client record
        record = Client.objects.get(pk=p.client.pk)
        assert (
            record.emergency_contact_name,
            record.emergency_contact_relationship,
            record.emergency_contact_phone,
        ) == ("Robin Ash", "Sister", "(413) 555-0199")
        # and the audit rows name what changed, never the address or the numbers
        rows = AuditEvent.objects.filter(actor_id=p.client_user.pk, action=AuditAction.CREATE)
        details = [str(e.detail) for e in rows] + [
            str(e.detail) for e in AuditEvent.objects.filter(action=AuditAction.UPDATE)
        ]
        assert any("appointment" in d for d in details)
        assert all("Elm" not in d and "555" not in d and "Robin" not in d for d in details)

        # And the client now gets the video link
        after = client.get(page_url).content.decode()
        assert f'<a href="{VIDEO}">{VIDEO}</a>' in after

        # And the prescriber, during the visit, sees where the client is and whom to call
        client.force_login(p.prescriber)
        seen = client.get(page_url).content.decode()
    assert "<dt>Client is at</dt><dd>12 Elm Street, Apt 3, Springfield, MA</dd>" in seen
    assert '<dt>Callback number</dt><dd><a href="tel:+14135550142">(413) 555-0142</a></dd>' in seen
    assert (
        "<dt>Emergency contact</dt><dd>Robin Ash (Sister), "
        '<a href="tel:+14135550199">(413) 555-0199</a></dd>' in seen
    )
    # and that reading is audited
    assert AuditEvent.objects.filter(
        actor_id=p.prescriber.pk,
        action=AuditAction.VIEW,
        object_type="scheduling.locationattestation",
    ).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("street", "", "Street address: where you are right now, e.g. 12 Elm Street."),
        ("city", "", "City or town: where you are right now."),
        ("state", "", "State: choose the state you are in right now."),
        (
            "callback_phone",
            "555",
            "Callback number: a US phone number with area code, e.g. 617-555-0123.",
        ),
        ("emergency_name", "", "Emergency contact name: someone we may call in an emergency."),
        ("emergency_relationship", "", "Emergency contact relationship: e.g. sister, friend."),
        (
            "emergency_phone",
            "call me",
            "Emergency contact phone: a US phone number with area code, e.g. 617-555-0123.",
        ),
    ],
)
def test_a_check_in_missing_a_detail_names_the_field_and_stores_nothing(
    client, field, value, message
):
    # Given a confirmed visit whose check-in is open
    p = _practice()
    appointment = _confirmed(p)
    with time_machine.travel(DURING, tick=False):
        client.force_login(p.client_user)
        # When the client leaves one detail out (or gets it wrong)
        response = client.post(
            reverse("scheduling:check_in", args=[appointment.public_id]),
            {**CHECK_IN, field: value},
        )
    # Then the form comes back naming that field, with what was typed kept, and nothing is stored
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'value="Springfield"' in body or field == "city"
    assert VIDEO not in body
    assert not LocationAttestation.objects.exists()
    assert Client.objects.get(pk=p.client.pk).emergency_contact_name == ""


def test_a_check_in_outside_the_practices_visit_states_is_refused_naming_them(client):
    # Given a practice that sees clients only while they are in Massachusetts
    p = _practice()
    appointment = _confirmed(p)
    with time_machine.travel(DURING, tick=False):
        client.force_login(p.client_user)
        # When the client says they are in New Hampshire
        response = client.post(
            reverse("scheduling:check_in", args=[appointment.public_id]),
            {**CHECK_IN, "state": "NH"},
        )
    # Then the check-in is refused, saying why, and nothing is stored
    assert response.status_code == 400
    assert "The prescriber can only see you while you are in MA." in response.content.decode()
    assert not LocationAttestation.objects.exists()


def test_only_the_client_checks_in_and_others_see_nothing_of_it(client):
    # Given a confirmed visit and the client's check-in
    p = _practice()
    appointment = _confirmed(p)
    url = reverse("scheduling:check_in", args=[appointment.public_id])
    page_url = reverse("scheduling:appointment", args=[appointment.public_id])
    with time_machine.travel(DURING, tick=False):
        # When the practice's coordinator posts a check-in for the client
        client.force_login(p.coordinator)
        response = client.post(url, CHECK_IN)
        # Then it is refused and nothing is stored
        assert response.status_code == 400
        assert "Only the client checks in." in response.content.decode()
        assert not LocationAttestation.objects.exists()

        client.force_login(p.client_user)
        client.post(url, CHECK_IN)
        # And a prescriber of another practice gets 404 for the appointment
        client.force_login(make_staff(Role.PRESCRIBER))
        assert client.get(page_url).status_code == 404
    assert LocationAttestation.objects.count() == 1


def test_the_client_keeps_an_emergency_contact_on_their_record_and_the_team_sees_it(client):
    # Given a client with a therapist on their care team
    from tandem.core.tests.factories import add_to_care_team

    p = _practice()
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(p.client, therapist, Role.THERAPIST)
    url = reverse("clients:emergency_contact")

    # When the client leaves the phone out, then fills the form in
    client.force_login(p.client_user)
    refused = client.post(url, {"name": "Robin Ash", "relationship": "Sister", "phone": ""})
    assert refused.status_code == 400
    assert "Emergency contact phone: a US phone number with area code" in refused.content.decode()
    assert Client.objects.get(pk=p.client.pk).emergency_contact_name == ""
    saved = client.post(
        url, {"name": "Robin Ash", "relationship": "Sister", "phone": "413 555 0199"}
    )

    # Then it is on their record, audited without its values
    assert saved.status_code == 302
    record = Client.objects.get(pk=p.client.pk)
    assert (record.emergency_contact_name, record.emergency_contact_phone) == (
        "Robin Ash",
        "(413) 555-0199",
    )
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="clients.client")
    assert event.detail == {"changed": ["emergency_contact"]}

    # And the therapist sees it on the client's record
    client.force_login(therapist)
    page = client.get(reverse("clients:detail", args=[p.client.public_id])).content.decode()
    assert (
        "<dt>Emergency contact</dt><dd>Robin Ash (Sister), "
        '<a href="tel:+14135550199">(413) 555-0199</a></dd>' in page
    )

    # And staff cannot edit it (no client record of their own): 404, nothing changed
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"name": "X", "relationship": "Y", "phone": "6175550100"}).status_code
        == 404
    )
    assert Client.objects.get(pk=p.client.pk).emergency_contact_name == "Robin Ash"
