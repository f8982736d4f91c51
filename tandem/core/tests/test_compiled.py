"""The signed-in user's query, compiled once per process, finds what the ORM finds."""

import pytest

from tandem.accounts.backends import _SESSION_USER, _users
from tandem.accounts.models import User
from tandem.core.compiled import CompiledById
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

FACTS = ("_tandem_has_mfa", "_tandem_client_id", "_tandem_alert_may_wait")


def test_the_compiled_statement_loads_each_user_with_the_same_fields_and_facts_as_the_orm():
    # Given staff with and without a second factor, a client, and someone with neither role
    people = [
        make_staff(Role.THERAPIST),
        make_staff(Role.PRESCRIBER, mfa=False),
        ClientFactory(user=UserFactory()).user,
        UserFactory(),
    ]
    for person in people:
        # When each is loaded both ways
        orm = _users().get(pk=person.pk)
        (compiled,) = _SESSION_USER.rows(person.pk)

        # Then every field and every fact agrees (booleans compared as the page reads them)
        for field in User._meta.concrete_fields:
            assert getattr(compiled, field.attname) == getattr(orm, field.attname), field.name
        for fact in FACTS:
            assert (getattr(compiled, fact) or None) == (getattr(orm, fact) or None), fact


def test_an_unknown_id_finds_nobody_and_a_query_must_use_its_id_once():
    assert _SESSION_USER.rows(10**12) == []
    twice = CompiledById(User, lambda pk: User.objects.filter(pk=pk) | User.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="exactly once"):
        twice.rows(1)
