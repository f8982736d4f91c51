"""``ConsentContext.load`` in one statement decides exactly as the three queries it replaced.

The oracle below is the load as it was (the releases, their parties by
``prefetch_related``, the exception's organisations: three queries). For releases in
every state (granted, pending, withdrawn, revoked, superseded, expired by date or by
event, not yet in effect, other practices, other categories, named clinicians, one way,
psychotherapy notes, Part 2, several at once, none), with the treatment exception on or
off, every question ``decide`` can be asked of the loaded context must get the same
answer from both loads: allowed or not, the reason, the category and the release named.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.consent.categories import DISCLOSURE_PURPOSES, Category, ExpiryEvent, LegalBasis
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.consent.formtexts import current_form_text
from tandem.consent.models import (
    PartyRole,
    Release,
    ReleaseKind,
    ReleaseParty,
    ReleaseStatus,
)
from tandem.consent.tests.factories import World
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, make_staff
from tandem.organisations.models import Organisation

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 14, 30, tzinfo=dt.UTC)


def old_load(client_ids: list[int], *, tie_break: bool = False) -> ConsentContext:
    """The load before it read one statement (commit 5c477c7), verbatim.

    With ``tie_break`` the releases prepared at the same instant come newer row first,
    as the new load orders them; the old load left those to the database (whose order
    can only change which of two equally good releases a decision names).
    """
    releases = list(
        Release.objects.filter(client_id__in=client_ids)
        .exclude(status=ReleaseStatus.WITHDRAWN)
        .prefetch_related("parties")
    )
    if tie_break:
        releases.sort(key=lambda r: (r.prepared_at, r.pk), reverse=True)
    by_client: dict[int, list[Release]] = defaultdict(list)
    for release in releases:
        by_client[release.client_id].append(release)
    exception_orgs = frozenset(
        Organisation.objects.filter(treatment_disclosures_without_release=True).values_list(
            "pk", flat=True
        )
    )
    return ConsentContext(dict(by_client), exception_orgs)


@dataclass
class Network:
    """Three practices, four clinicians and three clients (the last never has a release)."""

    therapy: Organisation
    psychiatry: Organisation
    elsewhere: Organisation
    therapist: Any
    prescriber: Any
    colleague: Any
    stranger: Any
    clients: list[Any]
    form_texts: dict[str, Any]

    @classmethod
    def make(cls) -> Network:
        world = World()
        return cls(
            therapy=world.therapy,
            psychiatry=world.psychiatry,
            elsewhere=world.elsewhere,
            therapist=world.therapist,
            prescriber=world.prescriber,
            colleague=make_staff(Role.PRESCRIBER, world.psychiatry),
            stranger=make_staff(Role.THERAPIST, world.elsewhere),
            clients=[world.client, ClientFactory(), ClientFactory()],
            form_texts={kind: current_form_text(kind) for kind in ReleaseKind.values},
        )

    def orgs(self) -> list[Organisation]:
        return [self.therapy, self.psychiatry, self.elsewhere]

    def people(self) -> dict[int, list[Any]]:
        """Each practice's clinicians, and None for the practice as a whole."""
        return {
            self.therapy.pk: [None, self.therapist],
            self.psychiatry.pk: [None, self.prescriber, self.colleague],
            self.elsewhere.pk: [None, self.stranger],
        }

    def parties(self) -> list[Party]:
        """Whom a question names: each clinician, and the first two practices as a whole."""
        return [
            Party(org_id, user.pk if user else None)
            for org_id, users in self.people().items()
            for user in users
            if user is not None or org_id != self.elsewhere.pk
        ]


@dataclass(frozen=True)
class Spec:
    """One release row, as any state of it stands in the database."""

    client: int = 0  # index into Network.clients (0 or 1)
    kind: str = ReleaseKind.GENERAL
    status: str = ReleaseStatus.SIGNED
    categories: tuple[str, ...] = (Category.DIAGNOSIS, Category.MEDICATIONS)
    purpose: str = "treatment_coordination"
    two_way: bool = True
    effective_days: int = -30  # effective_from, days from today
    expires_days: int | None = 300  # expires_on, days from today (None: an event)
    event_days: int | None = None  # expiry_event_occurred_at, days from now (None: not yet)
    prepared_minutes: int = -60  # prepared_at, minutes from now (ties allowed)
    #: (role, organisation index, clinician index in Network.people() or None)
    parties: tuple[tuple[str, int, int | None], ...] = (
        (PartyRole.DISCLOSER, 0, None),
        (PartyRole.RECIPIENT, 1, None),
    )


def make(network: Network, spec: Spec) -> Release:
    today = timezone.localdate(NOW)
    effective = today + dt.timedelta(days=spec.effective_days)
    expires = None
    if spec.expires_days is not None:
        expires = max(effective, today + dt.timedelta(days=spec.expires_days))
    release = Release.objects.create(
        client=network.clients[spec.client],
        kind=spec.kind,
        status=spec.status,
        categories=list(spec.categories),
        purpose=spec.purpose,
        two_way=spec.two_way,
        effective_from=effective,
        expires_on=expires,
        expiry_event="" if expires is not None else ExpiryEvent.END_OF_TREATMENT,
        expiry_event_occurred_at=(
            None if spec.event_days is None else NOW + dt.timedelta(days=spec.event_days)
        ),
        form_text=network.form_texts[spec.kind],
        prepared_by=network.therapist,
        prepared_at=NOW + dt.timedelta(minutes=spec.prepared_minutes),
    )
    orgs = network.orgs()
    people = network.people()
    ReleaseParty.objects.bulk_create(
        ReleaseParty(
            release=release,
            role=role,
            organisation=orgs[org],
            user=None if who is None else people[orgs[org].pk][who % len(people[orgs[org].pk])],
        )
        for role, org, who in spec.parties
    )
    return release


def answers(
    network: Network, context: ConsentContext, *, release_named: bool = True
) -> list[tuple[Any, ...]]:
    """Every question of every client, category, purpose, pair of parties and basis."""
    out = []
    parties = network.parties()
    for client, category, purpose, source, recipient, basis in itertools.product(
        network.clients,
        list(Category),
        sorted(DISCLOSURE_PURPOSES),
        parties,
        parties,
        ["", LegalBasis.TREATMENT],
    ):
        if source == recipient:
            continue
        d: Decision = decide(
            context,
            client_id=client.pk,
            category=category,
            source=source,
            recipient=recipient,
            purpose=purpose,
            now=NOW,
            legal_basis=basis,
        )
        answer: tuple[Any, ...] = (d.allowed, d.reason, d.category)
        if release_named:
            answer += (d.release.pk if d.release else None,)
        out.append(((client.pk, category, purpose, source, recipient, basis), answer))
    return out


def shape(context: ConsentContext) -> dict[str, Any]:
    """Everything a context holds: each release's every column and parties, in order."""
    return {
        "exception": context.treatment_exception_orgs,
        "releases": {
            client_id: [
                (
                    tuple(getattr(r, f.attname) for f in Release._meta.concrete_fields),
                    sorted(
                        (p.pk, p.release_id, p.role, p.organisation_id, p.user_id)
                        for p in r.parties.all()
                    ),
                )
                for r in releases
            ]
            for client_id, releases in context.releases_by_client.items()
        },
    }


def assert_same(network: Network) -> None:
    ids = [c.pk for c in network.clients]
    new = ConsentContext.load(ids)
    tied, plain = old_load(ids, tie_break=True), old_load(ids)
    assert shape(new) == shape(tied)
    found = answers(network, new)
    assert found == answers(network, tied)
    if shape(plain) != shape(tied):
        # The old load met releases prepared at the same instant in another order: the
        # same answers, though one may name another of two equally good releases.
        named = [(question, answer[:-1]) for question, answer in found]
        assert named == answers(network, plain, release_named=False)
    with transaction.atomic():  # (a lock needs a transaction)
        assert shape(ConsentContext.load(ids, lock=True)) == shape(new)
    # And the context read beside another statement's integer is the same context
    beside, value = ConsentContext.load_beside(ids, "SELECT %s + 1", [41])
    assert (shape(beside), value) == (shape(new), 42)


NAMED_STATES: dict[str, list[Spec]] = {
    "none": [],
    "granted": [Spec()],
    "granted, one way": [Spec(two_way=False)],
    "pending signature": [Spec(status=ReleaseStatus.DRAFT)],
    "withdrawn before signing": [Spec(status=ReleaseStatus.WITHDRAWN)],
    "revoked": [Spec(status=ReleaseStatus.REVOKED)],
    "superseded": [Spec(status=ReleaseStatus.SUPERSEDED)],
    "expired by date": [Spec(effective_days=-400, expires_days=-1)],
    "expired by event": [Spec(expires_days=None, event_days=-2)],
    "event still to come": [Spec(expires_days=None, event_days=3)],
    "not yet in effect": [Spec(effective_days=5)],
    "other practices": [
        Spec(parties=((PartyRole.DISCLOSER, 2, None), (PartyRole.RECIPIENT, 1, None)))
    ],
    "other categories": [Spec(categories=(Category.ATTENDANCE, Category.QUESTIONNAIRES))],
    "other purpose": [Spec(purpose="second_opinion")],
    "referral only": [Spec(purpose="referral")],
    "named clinicians": [
        Spec(parties=((PartyRole.DISCLOSER, 0, 1), (PartyRole.RECIPIENT, 1, 2)), two_way=False)
    ],
    "psychotherapy notes": [
        Spec(kind=ReleaseKind.PSYCHOTHERAPY_NOTES, categories=(Category.PSYCHOTHERAPY_NOTES,))
    ],
    "part 2": [Spec(kind=ReleaseKind.PART2, categories=(Category.PART2_RECORDS,))],
    "several releases, two clients": [
        Spec(status=ReleaseStatus.REVOKED, prepared_minutes=-600),
        Spec(prepared_minutes=-10, categories=(Category.SAFETY,)),
        Spec(status=ReleaseStatus.DRAFT, prepared_minutes=-5),
        Spec(client=1, purpose="referral"),
        Spec(client=1, effective_days=-400, expires_days=-3),
    ],
    "several prepared at the same instant": [
        Spec(prepared_minutes=-1),
        Spec(prepared_minutes=-1, categories=(Category.DIAGNOSIS,)),
        Spec(prepared_minutes=-1, status=ReleaseStatus.REVOKED),
    ],
    "a release with no parties": [Spec(parties=())],
}


@pytest.mark.parametrize("exception", [(), (0,), (0, 1, 2)], ids=["off", "therapy", "all"])
@pytest.mark.parametrize("state", list(NAMED_STATES))
def test_each_consent_state_is_decided_as_the_old_load_decided_it(state, exception):
    network = Network.make()
    for index in exception:
        Organisation.objects.filter(pk=network.orgs()[index].pk).update(
            treatment_disclosures_without_release=True
        )
    for spec in NAMED_STATES[state]:
        make(network, spec)
    assert_same(network)


party = st.tuples(
    st.sampled_from([PartyRole.DISCLOSER, PartyRole.RECIPIENT]),
    st.integers(0, 2),
    st.none() | st.integers(0, 2),
)
spec = st.builds(
    Spec,
    client=st.integers(0, 1),
    kind=st.sampled_from(ReleaseKind.values),
    status=st.sampled_from(ReleaseStatus.values),
    categories=st.lists(st.sampled_from(Category.values), max_size=4, unique=True).map(tuple),
    purpose=st.sampled_from(["treatment_coordination", "referral", "second_opinion"]),
    two_way=st.booleans(),
    effective_days=st.integers(-400, 5),
    expires_days=st.none() | st.integers(-5, 400),
    event_days=st.none() | st.integers(-5, 5),
    prepared_minutes=st.integers(-3, 0),  # few values: ties
    parties=st.lists(party, max_size=4).map(tuple),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=st.lists(spec, max_size=5), exception=st.sets(st.integers(0, 2)))
def test_any_mix_of_releases_is_decided_as_the_old_load_decided_it(specs, exception):
    with transaction.atomic():
        network = Network.make()
        for index in exception:
            Organisation.objects.filter(pk=network.orgs()[index].pk).update(
                treatment_disclosures_without_release=True
            )
        for one in specs:
            make(network, one)
        assert_same(network)
        transaction.set_rollback(True)


def test_the_context_is_one_statement_and_its_parties_read_nothing_more():
    """Pins the Django internals ``_prefetched`` fills as ``prefetch_related`` does."""
    network = Network.make()
    make(network, Spec())
    make(network, Spec(client=1, status=ReleaseStatus.REVOKED))
    with CaptureQueriesContext(connection) as queries:
        context = ConsentContext.load([c.pk for c in network.clients])
        releases = [r for rs in context.releases_by_client.values() for r in rs]
        parties = [p for r in releases for p in r.parties.all()]
        owners = [p.release for p in parties]
        # the manager's queryset answers as an evaluated one does
        counted = [(r.parties.count(), r.parties.exists()) for r in releases]
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert len(releases) == 2
    assert len(parties) == 4
    assert all(owner in releases for owner in owners)
    assert counted == [(2, True), (2, True)]
    # the instances are the ORM's own: saved, from this database, nothing deferred
    for release in releases:
        assert not release._state.adding
        assert release._state.db == "default"
        assert release._state.fetch_mode is Release.objects.first()._state.fetch_mode
        assert release.get_deferred_fields() == set()
        fresh = Release.objects.get(pk=release.pk)
        for f in Release._meta.concrete_fields:
            assert getattr(release, f.attname) == getattr(fresh, f.attname), f.name
        assert list(release.parties.all()) == list(fresh.parties.order_by("pk"))


def test_no_clients_still_reads_the_treatment_exception():
    network = Network.make()
    Organisation.objects.filter(pk=network.therapy.pk).update(
        treatment_disclosures_without_release=True
    )
    context = ConsentContext.load([])
    assert context.releases_by_client == {}
    assert context.treatment_exception_orgs == frozenset({network.therapy.pk})


def test_an_integer_read_beside_the_context_costs_no_statement_of_its_own():
    # Given releases of two clients, and one client with none
    network = Network.make()
    make(network, Spec())
    make(network, Spec(client=1, status=ReleaseStatus.REVOKED))
    ids = [c.pk for c in network.clients]
    count = "SELECT COUNT(*) FROM consent_releaseparty WHERE organisation_id = %s"
    for clients in (ids, ids[:1], []):
        # When the context is loaded beside a count
        with CaptureQueriesContext(connection) as queries:
            context, parties = ConsentContext.load_beside(clients, count, [network.therapy.pk])

        # Then it is one statement (two without clients, as ``load``), the count is the
        # count, and the context the one ``load`` reads
        assert len(queries) == (1 if clients else 2)
        assert parties == ReleaseParty.objects.filter(organisation=network.therapy).count() > 0
        assert shape(context) == shape(ConsentContext.load(clients))
