"""Synthetic releases for tests."""

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.clients.models import Client
from tandem.consent import actions
from tandem.consent.actions import PartySpec
from tandem.consent.categories import Category, Purpose
from tandem.consent.models import Release, ReleaseKind
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    TherapyPracticeFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)


class World:
    """A client in therapy, their therapist's practice and a psychiatric practice."""

    def __init__(self, client_user: bool = True) -> None:
        self.therapy = TherapyPracticeFactory(name="Maple Street Counseling")
        self.psychiatry = OrganisationFactory(name="Harborlight Psychiatry")
        self.elsewhere = OrganisationFactory(name="Unnamed Other Practice")
        self.therapist = make_staff(Role.THERAPIST, self.therapy)
        self.prescriber = make_staff(Role.PRESCRIBER, self.psychiatry)
        self.client_user = UserFactory() if client_user else None
        self.client: Client = ClientFactory(user=self.client_user)
        add_to_care_team(self.client, self.therapist, Role.THERAPIST, primary=True)

    def prepare(self, **overrides: Any) -> Release:
        kwargs: dict[str, Any] = {
            "actor": self.therapist,
            "client": self.client,
            "kind": ReleaseKind.GENERAL,
            "categories": [Category.DIAGNOSIS, Category.MEDICATIONS, Category.CONSULT_NOTES],
            "disclosers": [PartySpec(self.therapy)],
            "recipients": [PartySpec(self.psychiatry)],
            "purpose": Purpose.TREATMENT_COORDINATION,
            "expires_on": timezone.localdate() + dt.timedelta(days=365),
        }
        kwargs.update(overrides)
        return actions.prepare_release(**kwargs)

    def sign(self, release: Release, **overrides: Any) -> Release:
        import hashlib

        text = actions.render_release_text(release)
        kwargs: dict[str, Any] = {
            "actor": self.client_user,
            "release": release,
            "typed_name": f"{self.client.first_name} {self.client.last_name}",
            "ip": "192.0.2.10",
            "shown_text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        kwargs.update(overrides)
        return actions.sign_release(**kwargs)

    def signed(self, **overrides: Any) -> Release:
        return self.sign(self.prepare(**overrides))
