"""Factories for synthetic test data. Every name and number here is invented."""

import datetime as dt
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from factory.django import DjangoModelFactory

from tandem.accounts.models import ClinicianProfile, LicenceType, User
from tandem.clients.models import CareTeamMember, Client
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation, OrganisationKind

TEST_PASSWORD = "correct horse battery staple 42"
#: A fixed base32 TOTP secret for synthetic test users, so tests can compute codes.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


def enrol_totp(user: User, secret: str = TEST_TOTP_SECRET) -> Authenticator:
    """Give ``user`` a TOTP authenticator with a known secret."""
    return TOTP.activate(user, secret).instance


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    kind = OrganisationKind.PSYCHIATRIC_PRACTICE
    name = factory.Sequence(lambda n: f"Synthetic Practice {n}")
    time_zone = "America/New_York"
    state = "MA"
    telehealth_states = factory.LazyFunction(lambda: ["MA"])


class TherapyPracticeFactory(OrganisationFactory):
    kind = OrganisationKind.THERAPY_PRACTICE
    telehealth_states = factory.LazyFunction(list)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PRESCRIBER


#: Invented names for clients, from pools no generated staff name draws on: many tests
#: assert that a client's name is *not* on a page that names staff ("Referral from
#: Deborah Ramos"), which a shared surname would break one run in a few hundred.
CLIENT_FIRST_NAMES = (
    "Avelinne", "Brisane", "Corwenna", "Dessaly", "Elowenne", "Fennaly", "Galenne",
    "Hollisande", "Isoldine", "Jorahne", "Kestrelle", "Lioranne", "Marenka",
)  # fmt: skip
CLIENT_LAST_NAMES = (
    "Quillfeather", "Brackwater", "Thistlewick", "Marrowby", "Fennimoreton", "Oakhollow",
    "Pembercott", "Wrexleigh", "Ashgrovely", "Corriwell", "Everhythe", "Glimmerton",
    "Hazelrigg", "Ivorydale", "Juniperlow", "Kettlewhit", "Larkspurrow",
)  # fmt: skip


class ClientFactory(DjangoModelFactory[Client]):
    class Meta:
        model = Client

    first_name = factory.Sequence(lambda n: CLIENT_FIRST_NAMES[n % len(CLIENT_FIRST_NAMES)])
    last_name = factory.Sequence(
        lambda n: CLIENT_LAST_NAMES[(n + n // len(CLIENT_FIRST_NAMES)) % len(CLIENT_LAST_NAMES)]
    )
    date_of_birth = factory.LazyFunction(lambda: dt.date(1993, 5, 17))
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    state_of_residence = "MA"


def make_staff(
    role: str, organisation: Organisation | None = None, *, mfa: bool = True, **user_kwargs: Any
) -> User:
    """Return a user holding ``role`` in ``organisation`` (made for them if None), with MFA by default."""
    if organisation is None:
        organisation = TherapyPracticeFactory() if role == Role.THERAPIST else OrganisationFactory()
    user = UserFactory(**user_kwargs)
    MembershipFactory(user=user, organisation=organisation, role=role)
    if role in (Role.THERAPIST, Role.PRESCRIBER):
        ClinicianProfile.objects.create(
            user=user,
            licence_type=LicenceType.LICSW if role == Role.THERAPIST else LicenceType.MD,
            licence_number="TEST-0001",
            licence_states=["MA"],
        )
    if mfa:
        enrol_totp(user)
    return user


def add_to_care_team(
    client: Client, user: User, role: str, primary: bool = False
) -> CareTeamMember:
    membership = user.memberships.filter(role=role).first()
    assert membership is not None, "the user needs a membership in that role"
    return CareTeamMember.objects.create(
        client=client,
        user=user,
        organisation=membership.organisation,
        role=role,
        is_primary_therapist=primary,
    )
