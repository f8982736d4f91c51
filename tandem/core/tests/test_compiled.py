"""The signed-in user's query, compiled once per process, finds what the ORM finds."""

import pytest
from django.conf import settings
from django.db import models
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from tandem.accounts.backends import _SESSION_USER, _users
from tandem.accounts.models import User
from tandem.core.compiled import CompiledById
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    make_staff,
)

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

        # Then every field and every fact agrees, converted as the ORM converts it
        for field in User._meta.concrete_fields:
            assert getattr(compiled, field.attname) == getattr(orm, field.attname), field.name
        for fact in FACTS:
            mine, theirs = getattr(compiled, fact), getattr(orm, fact)
            assert (mine, type(mine)) == (theirs, type(theirs)), fact
        assert (compiled._state.adding, compiled._state.db) == (False, orm._state.db)


def test_an_unknown_id_finds_nobody_and_a_query_must_use_its_id_once():
    assert _SESSION_USER.rows(10**12) == []
    twice = CompiledById(User, lambda pk: User.objects.filter(pk=pk) | User.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="exactly once"):
        twice.rows(1)


def test_the_compiled_memberships_statement_is_the_orms_and_loads_what_the_orm_loads(
    django_assert_num_queries,
):
    from django.db import connection

    from tandem.core import policy
    from tandem.organisations.models import Membership, Organisation

    # Given a person working in three practices, having left a fourth, and in a closed fifth
    person = make_staff(Role.THERAPIST)
    for role in (Role.PRESCRIBER, Role.COORDINATOR, Role.PRESCRIBER, Role.COORDINATOR):
        MembershipFactory(user=person, organisation=OrganisationFactory(), role=role)
    leaving, closing = Membership.objects.filter(user=person).order_by("pk")[3:5]
    Membership.objects.filter(pk=leaving.pk).update(is_active=False)
    Organisation.objects.filter(pk=closing.organisation_id).update(is_active=False)
    # (signed in, as a request holds them: behind a lazy object)
    fresh = User.objects.get(pk=person.pk)
    lazy = SimpleLazyObject(lambda: fresh)

    # When the memberships are read through the compiled statement, and by the ORM
    compiled_sql, params, at = policy._compiled_memberships(User).statement(connection.alias)
    orm_query = policy.memberships_query(fresh)
    orm_sql, orm_params = orm_query.query.get_compiler(connection.alias).as_sql()
    with django_assert_num_queries(1):
        compiled = policy.active_memberships(lazy)
        # (each membership's practice and person come with it: no query to read them)
        [(m.organisation.name, m.user.email) for m in compiled]
    orm = list(orm_query)

    # Then the statement is the one the ORM builds, with the person's id in its place
    assert compiled_sql == orm_sql
    assert [*params[:at], person.pk, *params[at + 1 :]] == list(orm_params)
    # and it finds the same memberships, field by field, with the same practices
    assert [m.pk for m in compiled] == [m.pk for m in orm]
    assert len(orm) == 3
    for mine, theirs in zip(compiled, orm, strict=True):
        for field in Membership._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(theirs, field.attname), field.name
        for field in Organisation._meta.concrete_fields:
            assert getattr(mine.organisation, field.attname) == getattr(
                theirs.organisation, field.attname
            ), field.name
        assert mine.user is fresh
        assert not mine._state.adding
        assert mine.organisation._state.db == connection.alias


def test_a_compiled_statement_with_a_related_model_must_select_its_columns_and_no_others():
    from tandem.organisations.models import Membership

    annotated = CompiledById(
        Membership,
        lambda pk: (
            Membership.objects.filter(user_id=pk)
            .select_related("organisation")
            .annotate(n=models.Value(1))
        ),
        related="organisation",
    )
    with pytest.raises(ValueError, match="nothing else"):
        annotated.rows(1)


def test_a_compiled_statement_of_instances_must_select_the_models_columns_then_annotations():
    deferred = CompiledById(User, lambda pk: User.objects.filter(pk=pk).only("email"))
    with pytest.raises(ValueError, match="then its annotations"):
        deferred.rows(1)


def _prepared() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
def test_on_postgresql_the_session_users_statement_is_prepared_once_and_counted_as_a_query(
    django_assert_num_queries,
):
    from django.db import connection

    from tandem.core import compiled

    # Given a signed-in person
    person = make_staff(Role.THERAPIST)
    sql, _, _ = _SESSION_USER.statement(connection.alias)

    # When their user row is read three times (three requests), and once by the ORM
    with django_assert_num_queries(3) as captured:
        found = [_SESSION_USER.rows(person.pk) for _ in range(3)]
    with CaptureQueriesContext(connection) as by_orm:
        list(_users().filter(pk=person.pk))

    # Then each read is one query, logged as the ORM's own is (values spelled in), and
    # finds them
    assert [q["sql"] for q in captured.captured_queries] == [by_orm[0]["sql"]] * 3
    assert [[u.pk for u in users] for users in found] == [[person.pk]] * 3
    # and the connection holds the statement prepared, once (its %s bound by the server)
    numbered = sql
    for n in range(1, sql.count("%s") + 1):
        numbered = numbered.replace("%s", f"${n}", 1)
    assert _prepared().count(numbered) == 1
    assert compiled.prepares(connection)


@pytest.mark.postgres
def test_where_psycopg_may_not_prepare_the_statement_runs_as_django_sends_it():
    from django.db import connection

    from tandem.core import compiled

    # Given a connection on which psycopg prepares nothing (behind a transaction pooler)
    person = make_staff(Role.THERAPIST)
    connection.ensure_connection()
    before = _prepared()
    connection.connection.prepare_threshold = None
    try:
        # When the user is read
        assert not compiled.prepares(connection)
        (user,) = _SESSION_USER.rows(person.pk)
        # Then they are found, and nothing more is prepared
        assert user.pk == person.pk
        assert _prepared() == before
    finally:
        connection.connection.prepare_threshold = settings.DATABASES["default"]["OPTIONS"][
            "prepare_threshold"
        ]
