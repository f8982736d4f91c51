"""Staff cannot switch off their last second factor; clients may."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import DeactivateTOTPForm

from tandem.core.roles import Role
from tandem.core.tests.factories import UserFactory, enrol_totp, make_staff

pytestmark = pytest.mark.django_db


def _deactivate(user):
    form = DeactivateTOTPForm(
        data={}, authenticator=Authenticator.objects.get(user=user, type="totp")
    )
    return form.is_valid(), form.non_field_errors()


def test_a_clinician_with_only_the_authenticator_app_cannot_turn_it_off():
    prescriber = make_staff(Role.PRESCRIBER)

    valid, errors = _deactivate(prescriber)

    assert not valid
    assert errors == [
        "Clinicians and practice staff must keep a second factor. Add a passkey first, "
        "then you can turn off the authenticator app."
    ]


def test_a_clinician_with_a_passkey_as_well_may_turn_the_app_off():
    therapist = make_staff(Role.THERAPIST)
    Authenticator.objects.create(user=therapist, type=Authenticator.Type.WEBAUTHN, data={})

    valid, _ = _deactivate(therapist)

    assert valid


def test_a_client_may_turn_off_the_second_factor_they_chose():
    client_user = UserFactory()
    enrol_totp(client_user)

    valid, _ = _deactivate(client_user)

    assert valid
