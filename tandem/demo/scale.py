"""A network at the size of issue 12, built fast with the real models: ``manage.py seed_scale``.

Psychiatric practices (prescribers, coordinators, an admin: all with TOTP like the
demo logins), therapists in therapy practices of one to five, clients on their
therapist's care team (and the psychiatric practice's once a referral was
accepted), signed releases between the two practices, referrals in every state
with their history, weekly PHQ-9 and GAD-7 responses scored by the instruments
themselves, and audit events chained by the same HMAC as ``audit.actions.record``.

Rows are written in batches, with primary keys chosen here (so children can name
their parents without reading them back) and then the sequences moved past them:
``COPY`` on PostgreSQL, ``executemany`` elsewhere. Every field gets the value the
model would give it (defaults, public ids, ``auto_now`` times back-dated to when
the row would have been made). Nothing here is a path a person's action takes:
like the demo, it fabricates a believable past, and only in a demo or bench
configuration (``require_scale_configuration``).

Every login is on the demo domain with the demo password and a TOTP secret from
``demo_totp_secret``, so ``manage.py demo_code EMAIL`` and ``bench/load.py`` can
sign in as any of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import cache, partial
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as format_date
from psycopg.types.json import Jsonb

from tandem.accounts.models import ClinicianProfile, LicenceType, User
from tandem.audit.chain import genesis, head_signature, row_hash
from tandem.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditEventClient
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category, Purpose
from tandem.consent.formtexts import current_form_text
from tandem.consent.models import (
    PartyRole,
    Release,
    ReleaseFormText,
    ReleaseHistory,
    ReleaseKind,
    ReleaseParty,
    ReleaseStatus,
)
from tandem.core.roles import Role
from tandem.demo.practice import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, demo_totp_secret
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import MeasureSchedule, QuestionnaireResponse
from tandem.organisations.models import Membership, Organisation, OrganisationKind
from tandem.referrals.models import (
    DeclineReason,
    Payer,
    PlanType,
    PracticePolicy,
    Referral,
    ReferralEvent,
    ReferralReason,
    Service,
)
from tandem.referrals.models import ReferralStatus as S

#: Rows per INSERT / COPY batch: big enough to amortise a round trip, small enough for memory.
BATCH = 20_000
_VIA = {"via": "seed_scale"}
EMAIL_PREFIX = "scale."


class ScaleConfigurationRequired(ImproperlyConfigured):
    """Raised when seed_scale is asked to run outside a demo or bench configuration."""


class DatabaseNotEmpty(Exception):
    """Raised when the database already holds people and ``--append`` was not given."""


def require_scale_configuration() -> None:
    """Refuse to go on unless the settings are the demo's or the benchmark's."""
    if not (getattr(settings, "DEMO_MODE", False) or getattr(settings, "TANDEM_BENCH", False)):
        raise ScaleConfigurationRequired(
            "seed_scale runs only in a demo or bench configuration (DEMO_MODE and TANDEM_BENCH "
            "are off): use tandem.settings.dev, or set TANDEM_BENCH=1, on a database of its own."
        )


@dataclass(frozen=True)
class Sizes:
    """How big the network is. ``FULL`` is issue 12's; ``scaled`` keeps its proportions."""

    practices: int = 20
    therapists: int = 500
    clients: int = 50_000
    referrals: int = 100_000
    responses: int = 1_000_000
    audit: int = 2_000_000

    def scaled(self, factor: float) -> Sizes:
        minimum = {"practices": 1, "therapists": 2, "clients": 4}
        return Sizes(
            **{
                f.name: max(minimum.get(f.name, 0), round(getattr(self, f.name) * factor))
                for f in fields(self)
            }
        )


FULL = Sizes()

# --- The shape of each practice and of the referrals' lives ----------------------------

PRESCRIBERS_PER_PRACTICE = 4
COORDINATORS_PER_PRACTICE = 3
#: Therapy practice sizes, in turn (a solo therapist is a practice of one).
THERAPY_PRACTICE_SIZES = (1, 1, 2, 3, 5)

#: Share of each state among referrals after some months of use (as bench/referral_inbox.py).
STATE_MIX: dict[str, float] = {
    S.DRAFT: 0.02,
    S.SENT: 0.08,
    S.RECEIVED: 0.08,
    S.INFO_REQUESTED: 0.03,
    S.ACCEPTED: 0.07,
    S.SCHEDULED: 0.14,
    S.NO_SHOW: 0.02,
    S.FIRST_VISIT_DONE: 0.05,
    S.CONSULT_NOTE_SENT: 0.05,
    S.DECLINED: 0.05,
    S.CANCELLED: 0.05,
    S.CLOSED: 0.36,
}
#: The moves that bring a draft to each state (every pair is in referrals.states.TRANSITIONS).
PATHS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (),
    S.SENT: (S.SENT,),
    S.RECEIVED: (S.SENT, S.RECEIVED),
    S.INFO_REQUESTED: (S.SENT, S.RECEIVED, S.INFO_REQUESTED),
    S.ACCEPTED: (S.SENT, S.RECEIVED, S.ACCEPTED),
    S.DECLINED: (S.SENT, S.RECEIVED, S.DECLINED),
    S.SCHEDULED: (S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED),
    S.NO_SHOW: (S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED, S.NO_SHOW),
    S.FIRST_VISIT_DONE: (S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED, S.FIRST_VISIT_DONE),
    S.CONSULT_NOTE_SENT: (
        S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED, S.FIRST_VISIT_DONE, S.CONSULT_NOTE_SENT,
    ),
    S.CLOSED: (
        S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED, S.FIRST_VISIT_DONE, S.CONSULT_NOTE_SENT,
        S.CLOSED,
    ),
    S.CANCELLED: (S.SENT, S.CANCELLED),
}  # fmt: skip
#: Moves the therapist makes; the practice makes the others.
_THERAPIST_MOVES = {S.SENT, S.CANCELLED}
#: A referral in one of these states put the client on the psychiatric practice's care team.
_IN_CARE = {
    S.ACCEPTED, S.SCHEDULED, S.NO_SHOW, S.FIRST_VISIT_DONE, S.CONSULT_NOTE_SENT, S.CLOSED,
}  # fmt: skip
_OPEN = {
    S.SENT, S.RECEIVED, S.INFO_REQUESTED, S.ACCEPTED, S.SCHEDULED, S.NO_SHOW, S.FIRST_VISIT_DONE,
}  # fmt: skip

#: What a release between the therapist's and the prescriber's practice covers.
RELEASE_CATEGORIES = (
    Category.DIAGNOSIS,
    Category.TREATMENT_HISTORY,
    Category.MEDICATIONS,
    Category.SAFETY,
    Category.MEDICAL_HISTORY,
    Category.QUESTIONNAIRES,
)

_PACKETS: tuple[dict[str, Any], ...] = (
    {
        "reasons": [ReferralReason.TREATMENT_RESISTANT],
        "symptoms_tried": "Weekly CBT for four months; low mood and poor sleep persist.",
        "diagnoses": ["F33.1"],
        "treatment_history": "One prior episode; no medication trials.",
        "recent_scores": [{"instrument": "PHQ-9", "score": "17", "date": "this month"}],
    },
    {
        "reasons": [ReferralReason.DIAGNOSTIC_UNCERTAINTY],
        "diagnostic_questions": ["bipolar_vs_bpd"],
        "symptoms_tried": "DBT skills group for three months; mood swings over days.",
        "diagnoses": ["F32.A"],
        "treatment_history": "Therapy since last year; a brief hypomanic spell reported.",
    },
    {
        "reasons": [ReferralReason.CLIENT_REQUEST],
        "symptoms_tried": "Exposure work for panic; attacks twice a week persist.",
        "diagnoses": ["F41.0"],
        "medications": [{"name": "Levothyroxine", "dose": "50 mcg daily", "kind": "medical"}],
        "medical_history": "Hypothyroidism, treated.",
    },
    {
        "reasons": [ReferralReason.SAFETY, ReferralReason.TREATMENT_RESISTANT],
        "symptoms_tried": "Weekly therapy and behavioural activation; worse over three weeks.",
        "diagnoses": ["F33.2"],
        "safety_ideation": True,
        "safety_notes": "Passive thoughts of death, no plan or intent; safety plan reviewed.",
    },
)

_FIRST = (
    "Avery", "Beatriz", "Caleb", "Delia", "Emmett", "Farah", "Gideon", "Harper", "Ines",
    "Jasper", "Keiko", "Leon", "Mirela", "Nolan", "Odette", "Pascal", "Quinn", "Rosalind",
    "Silas", "Tamsin", "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zelda",
)  # fmt: skip
_LAST = (
    "Abernathy", "Bellweather", "Calloway", "Dunmore", "Everly", "Fairbanks", "Galloway",
    "Hartigan", "Ivers", "Jessup", "Kincaid", "Larkspur", "Merriweather", "Northcott",
    "Oakhurst", "Pemberton", "Quigley", "Rowntree", "Stanhope", "Thornbury", "Underhill",
)  # fmt: skip


def _name(i: int) -> tuple[str, str]:
    return _FIRST[i % len(_FIRST)], f"{_LAST[(i // len(_FIRST)) % len(_LAST)]}-{i}"


def email(kind: str, practice: int, n: int) -> str:
    """Return the login of the ``n``-th person of ``kind`` in practice ``practice`` (from 1)."""
    return f"{EMAIL_PREFIX}{kind}{n}.p{practice}@{DEMO_EMAIL_DOMAIN}"


# --- Writing rows fast --------------------------------------------------------------------

Row = dict[str, Any]


class _Columns:
    """How to turn a row (a dict by attname) into the values of a model's columns."""

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.fields = list(model._meta.concrete_fields)
        self.table = connection.ops.quote_name(str(model._meta.db_table))
        self.names = ", ".join(connection.ops.quote_name(str(f.column)) for f in self.fields)
        self.fast = connection.vendor == "postgresql"
        self.plan: list[tuple[str, Callable[[], Any]]] = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                fill: Callable[[], Any] = lambda: now  # noqa: E731
            elif f.has_default():
                fill = f.get_default  # a callable default (a uuid4) is called per row
            elif f.null:
                fill = lambda: None  # noqa: E731
            elif f.empty_strings_allowed and f.blank:
                fill = lambda: ""  # noqa: E731 - what Model() gives a blank text field
            else:
                fill = partial(_required, f)
            self.plan.append((f.attname, fill))
        self.json = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]

    def values(self, row: Row) -> list[Any]:
        out = [row[name] if name in row else fill() for name, fill in self.plan]
        if not self.fast:
            return [
                f.get_db_prep_save(v, connection) for f, v in zip(self.fields, out, strict=True)
            ]
        for i in self.json:
            if out[i] is not None:
                out[i] = Jsonb(out[i])
        return out


def _required(f: models.Field[Any, Any]) -> Any:
    raise ValueError(f"{f.model._meta.label}.{f.attname} needs a value")


class Writer:
    """Inserts rows with the primary keys given to them, and counts them.

    A row is a dict by attname (``client_id``, not ``client``); fields it leaves out
    take the model's default (a fresh public id, ``[]``), ``auto_now`` fields the seed's
    start time, nullable ones NULL. Rows of a model are written as they come, in batches.
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.next_pk: dict[type[models.Model], int] = {}
        self.touched: list[type[models.Model]] = []
        self.now = timezone.now()
        self._columns: dict[type[models.Model], _Columns] = {}

    def pk(self, model: type[models.Model]) -> int:
        """Return a fresh primary key for ``model`` (after any row already there)."""
        if model not in self.next_pk:
            last = model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
            self.next_pk[model] = last
            self.touched.append(model)
        self.next_pk[model] += 1
        return self.next_pk[model]

    def insert(self, model: type[models.Model], rows: Iterable[Row]) -> None:
        columns = self._columns.get(model) or _Columns(model, self.now)
        self._columns[model] = columns
        batch: list[list[Any]] = []
        for row in rows:
            if row.get("id") is None:
                row["id"] = self.pk(model)
            batch.append(columns.values(row))
            if len(batch) >= BATCH:
                self._write(model, columns, batch)
                batch = []
        if batch:
            self._write(model, columns, batch)

    def objects(self, objs: Sequence[models.Model]) -> None:
        """Insert unsaved model instances (the few people and practices), keeping their pks."""
        if objs:
            model = type(objs[0])
            attnames = [f.attname for f in model._meta.concrete_fields]
            self.insert(model, ({a: getattr(o, a) for a in attnames} for o in objs))

    def _write(self, model: type[models.Model], columns: _Columns, rows: list[list[Any]]) -> None:
        with connection.cursor() as cursor:
            if columns.fast:
                sql = f"COPY {columns.table} ({columns.names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns.fields))
                cursor.executemany(
                    f"INSERT INTO {columns.table} ({columns.names}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + len(rows)
        if model not in self.touched:
            self.touched.append(model)

    def reset_sequences(self) -> None:
        """Move each table's id sequence past the keys chosen here (PostgreSQL needs it)."""
        statements = connection.ops.sequence_reset_sql(no_style(), self.touched)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- The world ------------------------------------------------------------------------------


@dataclass
class Practice:
    org: Organisation
    prescribers: list[User] = field(default_factory=list)
    coordinators: list[User] = field(default_factory=list)
    admins: list[User] = field(default_factory=list)


@dataclass
class TherapyPractice:
    org: Organisation
    therapists: list[User] = field(default_factory=list)


@dataclass
class Person:
    """A client (the row's facts other rows need) and who cares for them."""

    pk: int
    public_id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: dt.date
    created_at: dt.datetime
    therapist: User
    therapy: Organisation
    practice: Practice
    prescriber: User | None = None
    coordinator: User | None = None


@dataclass
class ScaleWorld:
    sizes: Sizes
    practices: list[Practice] = field(default_factory=list)
    therapy: list[TherapyPractice] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def seed_scale(
    sizes: Sizes,
    *,
    append: bool = False,
    seed: int = 12,
    progress: Callable[[str], None] | None = None,
) -> ScaleWorld:
    """Build the network ``sizes`` describes and return what was made, with timings."""
    require_scale_configuration()
    if not append and (User.objects.exists() or AuditEvent.objects.exists()):
        raise DatabaseNotEmpty(
            "The database already holds people or audit events: seed_scale builds a network on "
            "an empty (migrated) database. Use --append to add a second network beside them."
        )
    say = progress or (lambda _m: None)
    world = ScaleWorld(sizes=sizes)
    writer = Writer()
    rng = random.Random(seed)
    # A second network (--append) gets logins and practice names of its own.
    tag = f".{uuid.uuid4().hex[:6]}" if User.objects.exists() else ""
    steps: list[tuple[str, Callable[[], None]]] = [
        ("people", lambda: _people(world, writer, rng, tag)),
        ("referrals", lambda: _referrals(world, writer, rng)),
        ("releases", lambda: _releases(world, writer)),
        ("care teams", lambda: _care_teams(world, writer)),
        ("responses", lambda: _responses(world, writer, rng)),
        ("audit", lambda: _audit(world, writer, rng)),
    ]
    with transaction.atomic():
        for label, step in steps:
            started = time.perf_counter()
            step()
            world.timings[label] = time.perf_counter() - started
            say(f"{label}: {world.timings[label]:.1f} s")
        writer.reset_sequences()
    world.counts = writer.counts
    return world


def _ago(now: dt.datetime, rng: random.Random, days: float) -> dt.datetime:
    return now - dt.timedelta(seconds=rng.uniform(0, days * 86400))


def _people(world: ScaleWorld, w: Writer, rng: random.Random, tag: str) -> None:
    sizes = world.sizes
    now = w.now
    password = make_password(DEMO_PASSWORD)
    users: list[User] = []
    orgs: list[Organisation] = []
    memberships: list[Row] = []
    profiles: list[Row] = []
    policies: list[Row] = []

    def person(address: str, full_name: str) -> User:
        local, _, domain = address.partition("@")
        user = User(
            pk=w.pk(User), email=f"{local}{tag}@{domain}", full_name=full_name,
            password=password, date_joined=_ago(now, rng, 720),
        )  # fmt: skip
        users.append(user)
        return user

    def member(user: User, org: Organisation, role: str, on_call: bool = False) -> None:
        memberships.append(
            {"user_id": user.pk, "organisation_id": org.pk, "role": role,
             "is_on_call": on_call, "created_at": user.date_joined}
        )  # fmt: skip

    def licence(user: User, kind: str, n: int) -> None:
        profiles.append(
            {"user_id": user.pk, "licence_type": kind, "licence_number": f"S-{n:06d}",
             "licence_states": ["MA"]}
        )  # fmt: skip

    def organisation(kind: str, name: str, age_days: int) -> Organisation:
        org = Organisation(
            pk=w.pk(Organisation), kind=kind, name=f"{name}{tag} (synthetic)",
            time_zone="America/New_York", holiday_country="US", holiday_subdivision="MA",
            city="Boston", state="MA", telehealth_states=["MA"],
            created_at=now - dt.timedelta(days=age_days),
        )  # fmt: skip
        orgs.append(org)
        return org

    n = 0
    for p in range(1, sizes.practices + 1):
        org = organisation(OrganisationKind.PSYCHIATRIC_PRACTICE, f"Scale Psychiatry {p}", 730)
        practice = Practice(org)
        policies.append(
            {"organisation_id": org.pk, "min_age": 18, "max_age": 75, "visit_states": ["MA"],
             "payers": [Payer.COMMERCIAL.value, Payer.SELF_PAY.value, Payer.MEDICARE.value],
             "plan_types": [PlanType.PPO.value, PlanType.EPO.value, PlanType.HMO.value],
             "services": [s.value for s in Service], "response_target_days": 2}
        )  # fmt: skip
        for i in range(1, PRESCRIBERS_PER_PRACTICE + 1):
            n += 1
            user = person(email("prescriber", p, i), f"Prescriber {i} of Practice {p}")
            member(user, org, Role.PRESCRIBER, on_call=i == 1)
            licence(user, LicenceType.MD if i % 2 else LicenceType.PMHNP, n)
            practice.prescribers.append(user)
        for i in range(1, COORDINATORS_PER_PRACTICE + 1):
            user = person(email("coordinator", p, i), f"Coordinator {i} of Practice {p}")
            member(user, org, Role.COORDINATOR)
            practice.coordinators.append(user)
        user = person(email("admin", p, 1), f"Admin of Practice {p}")
        member(user, org, Role.PRACTICE_ADMIN)
        practice.admins.append(user)
        world.practices.append(practice)

    made = 0
    t = 0
    therapist_licences = (LicenceType.LICSW, LicenceType.LMHC, LicenceType.LMFT)
    while made < sizes.therapists:
        t += 1
        size = THERAPY_PRACTICE_SIZES[(t - 1) % len(THERAPY_PRACTICE_SIZES)]
        size = min(size, sizes.therapists - made)
        therapy = TherapyPractice(
            organisation(OrganisationKind.THERAPY_PRACTICE, f"Scale Therapy {t}", 700)
        )
        for i in range(1, size + 1):
            n += 1
            user = person(email("therapist", t, i), f"Therapist {i} of Therapy {t}")
            member(user, therapy.org, Role.THERAPIST)
            if i == 1:  # the first therapist runs the practice, as a solo therapist does
                member(user, therapy.org, Role.PRACTICE_ADMIN)
            licence(user, therapist_licences[n % 3], n)
            therapy.therapists.append(user)
        made += size
        world.therapy.append(therapy)

    w.objects(orgs)
    w.insert(PracticePolicy, policies)
    w.objects(users)
    w.insert(
        EmailAddress,
        ({"user_id": u.pk, "email": u.email, "verified": True, "primary": True} for u in users),
    )
    w.insert(
        Authenticator,
        (
            {"user_id": u.pk, "type": Authenticator.Type.TOTP.value,
             "data": {"secret": encrypt(demo_totp_secret(u.email))}, "created_at": u.date_joined}
            for u in users
        ),
    )  # fmt: skip
    w.insert(Membership, memberships)
    w.insert(ClinicianProfile, profiles)

    therapists = [(u, tp.org) for tp in world.therapy for u in tp.therapists]
    clients: list[Row] = []
    for i in range(sizes.clients):
        first, last = _name(i)
        therapist, therapy_org = therapists[i % len(therapists)]
        person_ = Person(
            pk=w.pk(Client), public_id=uuid.uuid4(), first_name=first, last_name=last,
            date_of_birth=dt.date(1950 + i % 55, 1 + i % 12, 1 + i % 28),
            created_at=_ago(now, rng, 540), therapist=therapist, therapy=therapy_org,
            practice=world.practices[i % len(world.practices)],
        )  # fmt: skip
        world.people.append(person_)
        clients.append(
            {"id": person_.pk, "public_id": person_.public_id, "first_name": first,
             "last_name": last, "date_of_birth": person_.date_of_birth,
             "email": f"scale.client{i}{tag}@example.test", "state_of_residence": "MA",
             "created_at": person_.created_at}
        )  # fmt: skip
    w.insert(Client, clients)


def _referrals(world: ScaleWorld, w: Writer, rng: random.Random) -> None:
    """Referrals from each client's therapist to the client's psychiatric practice."""
    now = w.now
    states, weights = zip(*STATE_MIX.items(), strict=True)
    count = world.sizes.referrals
    # Every state at least once, then the mix.
    chosen = list(states)[:count] + rng.choices(states, weights, k=max(0, count - len(states)))
    people = world.people

    def rows() -> Iterator[Row]:
        for i, status in enumerate(chosen):
            person = people[rng.randrange(len(people))]
            practice = person.practice
            packet = _PACKETS[i % len(_PACKETS)]
            urgent = bool(packet.get("safety_ideation")) and rng.random() < 0.5
            path = PATHS[status]
            # Open referrals are recent; finished ones spread over the last eighteen months.
            span_days = 21 if status in _OPEN or status == S.DRAFT else 540
            created = _ago(now, rng, span_days) - dt.timedelta(hours=len(path) * 6 + 1)
            if status in _IN_CARE and person.prescriber is None:
                person.prescriber = practice.prescribers[i % len(practice.prescribers)]
                person.coordinator = practice.coordinators[i % len(practice.coordinators)]
            referral: Row = {
                "id": w.pk(Referral), "client_id": person.pk, "therapist_id": person.therapist.pk,
                "from_organisation_id": person.therapy.pk, "to_organisation_id": practice.org.pk,
                "status": status, "version": 1 + len(path), "idempotency_key": uuid.uuid4(),
                "urgent": urgent, "payer": Payer.COMMERCIAL.value,
                "plan_type": PlanType.PPO.value, "visit_state": "MA",
                "service": Service.MEDICATION_MANAGEMENT.value, "created_at": created,
                **packet,
            }  # fmt: skip
            events: list[Row] = [
                {"referral_id": referral["id"], "from_status": "", "to_status": S.DRAFT.value,
                 "actor_id": person.therapist.pk, "at": created}
            ]  # fmt: skip
            at = created
            current: str = S.DRAFT.value
            for target in path:
                at = at + dt.timedelta(hours=rng.uniform(1, 6))
                actor = (
                    person.therapist
                    if target in _THERAPIST_MOVES
                    else _practice_actor(person, practice, target, i)
                )
                note = ""
                if target == S.INFO_REQUESTED:
                    note = "Please send the most recent PHQ-9 and any medication trials."
                    referral["info_request"] = note
                elif target == S.DECLINED:
                    note = "Not taking new clients this month."
                    referral["decline_reason"] = DeclineReason.NOT_ACCEPTING.value
                    referral["decline_note"] = note
                    referral["redirect_to_id"] = None
                events.append(
                    {"referral_id": referral["id"], "from_status": current,
                     "to_status": str(target), "actor_id": actor.pk, "at": at, "note": note}
                )  # fmt: skip
                if target == S.SENT:
                    referral["sent_at"] = at
                    referral["due_at"] = at + (
                        dt.timedelta(hours=4) if urgent else dt.timedelta(days=2)
                    )
                elif current == S.SENT and target != S.CANCELLED:
                    referral["responded_at"] = at  # the practice's first answer stops the clock
                if target == S.ACCEPTED and person.prescriber is not None:
                    referral["assigned_prescriber_id"] = person.prescriber.pk
                current = str(target)
            due = referral.get("due_at")
            if due is not None and referral.get("responded_at") is None and now > due:
                referral["overdue_level"] = 1
            referral["updated_at"] = at
            world.statuses[status] = world.statuses.get(status, 0) + 1
            yield referral
            pending_events.extend(events)

    pending_events: list[Row] = []
    w.insert(Referral, rows())
    w.insert(ReferralEvent, pending_events)


def _practice_actor(person: Person, practice: Practice, target: str, i: int) -> User:
    if target in {S.FIRST_VISIT_DONE, S.CONSULT_NOTE_SENT} and person.prescriber is not None:
        return person.prescriber
    return person.coordinator or practice.coordinators[i % len(practice.coordinators)]


#: Stand-ins rendered into the release text once per pair of practices, then replaced.
_FIRST_MARK, _LAST_MARK = "\x01first\x01", "\x01last\x01"
_BORN_MARK, _FROM_MARK, _UNTIL_MARK = dt.date(1900, 1, 1), dt.date(1900, 1, 2), dt.date(1900, 1, 3)


def _releases(world: ScaleWorld, w: Writer) -> None:
    """A signed release between the therapy and the psychiatric practice of every client in care."""
    form_text = current_form_text(ReleaseKind.GENERAL)
    now = w.now
    today = timezone.localdate(now)
    categories = [c.value for c in RELEASE_CATEGORIES]
    texts: dict[tuple[int, int], str] = {}
    releases: list[Row] = []
    parties: list[Row] = []
    history: list[Row] = []
    for person in world.people:
        if person.prescriber is None:
            continue
        signed_at = min(person.created_at + dt.timedelta(days=1), now - dt.timedelta(hours=1))
        effective = timezone.localdate(signed_at)
        expires = max(today, effective) + dt.timedelta(days=365)
        key = (person.therapy.pk, person.practice.org.pk)
        if key not in texts:
            texts[key] = _release_text(form_text, categories, person.therapy, person.practice.org)
        text = (
            texts[key]
            .replace(_FIRST_MARK, person.first_name)
            .replace(_LAST_MARK, person.last_name)
            .replace(_date(_BORN_MARK), _date(person.date_of_birth))
            .replace(_date(_FROM_MARK), _date(effective))
            .replace(_date(_UNTIL_MARK), _date(expires))
        )
        release_id = w.pk(Release)
        prepared_at = signed_at - dt.timedelta(days=1)
        releases.append(
            {"id": release_id, "client_id": person.pk, "kind": ReleaseKind.GENERAL.value,
             "status": ReleaseStatus.SIGNED.value, "categories": categories,
             "purpose": Purpose.REFERRAL_AND_COORDINATION.value, "two_way": True,
             "effective_from": effective, "expires_on": expires, "form_text_id": form_text.pk,
             "prepared_by_id": person.therapist.pk, "prepared_at": prepared_at,
             "signed_at": signed_at, "signed_name": f"{person.first_name} {person.last_name}",
             "signed_text": text, "signed_text_sha256": hashlib.sha256(text.encode()).hexdigest()}
        )  # fmt: skip
        parties.append(
            {"release_id": release_id, "role": PartyRole.DISCLOSER.value,
             "organisation_id": person.therapy.pk}
        )  # fmt: skip
        parties.append(
            {"release_id": release_id, "role": PartyRole.RECIPIENT.value,
             "organisation_id": person.practice.org.pk}
        )  # fmt: skip
        history.append(
            {"release_id": release_id, "from_status": "", "to_status": ReleaseStatus.DRAFT.value,
             "actor_id": person.therapist.pk, "at": prepared_at}
        )  # fmt: skip
        history.append(
            {"release_id": release_id, "from_status": ReleaseStatus.DRAFT.value,
             "to_status": ReleaseStatus.SIGNED.value, "actor_id": None, "at": signed_at}
        )  # fmt: skip
    w.insert(Release, releases)
    w.insert(ReleaseParty, parties)
    w.insert(ReleaseHistory, history)


def _date(day: dt.date) -> str:
    return format_date(day, "F j, Y")  # the template's {{ …|date:"F j, Y" }}


def _release_text(
    form_text: ReleaseFormText, categories: list[str], therapy: Organisation, practice: Organisation
) -> str:
    """The text ``consent.actions.render_release_text`` freezes, with stand-ins for the client."""
    release = Release(
        kind=ReleaseKind.GENERAL, categories=categories,
        purpose=Purpose.REFERRAL_AND_COORDINATION, two_way=True, effective_from=_FROM_MARK,
        expires_on=_UNTIL_MARK, form_text=form_text,
    )  # fmt: skip
    client = Client(first_name=_FIRST_MARK, last_name=_LAST_MARK, date_of_birth=_BORN_MARK)
    return render_to_string(
        "consent/release_text.txt",
        {
            "release": release,
            "client": client,
            "disclosers": [ReleaseParty(role=PartyRole.DISCLOSER, organisation=therapy)],
            "recipients": [ReleaseParty(role=PartyRole.RECIPIENT, organisation=practice)],
            "categories": release.category_labels(),
            "part2_notice": "",
        },
    ).strip()


def _care_teams(world: ScaleWorld, w: Writer) -> None:
    """Each client's therapist, and the prescriber and coordinator once a referral was accepted."""

    def seats() -> Iterator[Row]:
        for person in world.people:
            started = timezone.localdate(person.created_at)
            yield {
                "client_id": person.pk, "user_id": person.therapist.pk,
                "organisation_id": person.therapy.pk, "role": Role.THERAPIST.value,
                "is_primary_therapist": True, "started_on": started,
            }  # fmt: skip
            for user, role in ((person.prescriber, Role.PRESCRIBER),
                               (person.coordinator, Role.COORDINATOR)):  # fmt: skip
                if user is not None:
                    yield {
                        "client_id": person.pk, "user_id": user.pk,
                        "organisation_id": person.practice.org.pk, "role": role.value,
                        "is_primary_therapist": False, "started_on": started,
                    }  # fmt: skip

    w.insert(CareTeamMember, seats())
    today = timezone.localdate(w.now)
    w.insert(
        MeasureSchedule,
        (
            {"client_id": p.pk, "instrument": "phq-9", "every_days": 28,
             "next_due": today + dt.timedelta(days=(p.pk % 42) - 14),
             "organisation_id": p.practice.org.pk, "set_by_id": p.prescriber.pk}
            for p in world.people
            if p.prescriber is not None
        ),
    )  # fmt: skip


@cache
def _scored(code: str, answers: tuple[int, ...]) -> tuple[int | None, str, bool | None, list[str]]:
    result = INSTRUMENTS[code].score(list(answers))
    return result.total, result.band or "", result.positive, list(result.flags)


def _responses(world: ScaleWorld, w: Writer, rng: random.Random) -> None:
    """Weekly PHQ-9s and GAD-7s, scored as ``measures.actions.record_response`` scores them.

    PHQ-9 item 9 stays 0: a positive answer raises a safety alert, which this does not make.
    """
    total = world.sizes.responses
    people = world.people
    per_client, extra = divmod(total, len(people))
    phq9, gad7 = INSTRUMENTS["phq-9"], INSTRUMENTS["gad-7"]
    now = w.now
    randint, uniform = rng.randint, rng.uniform

    def rows() -> Iterator[Row]:
        for index, person in enumerate(people):
            want = per_client + (1 if index < extra else 0)
            in_care = person.prescriber is not None
            org = (person.practice.org if in_care else person.therapy).pk
            by = (person.prescriber if in_care and person.prescriber else person.therapist).pk
            start = randint(1, 3)
            improving = rng.random() < 0.6
            for k in range(want):
                form = phq9 if k % 3 != 2 else gad7
                level = max(0, start - (k * 3 // want if improving else 0))
                answers = [min(3, max(0, level + randint(-1, 1))) for _ in form.items]
                if form is phq9:
                    answers[8] = 0
                score, band, positive, flags = _scored(form.code, tuple(answers))
                yield {
                    "client_id": person.pk, "instrument": form.code,
                    "instrument_version": form.version, "answers": answers, "sex": "",
                    "total": score, "band": band, "positive": positive, "flags": flags,
                    "complete": True, "prorated": False,
                    "source": "clinician" if k % 4 else "portal", "organisation_id": org,
                    "entered_by_id": by,
                    "entered_at": now - dt.timedelta(weeks=want - k, hours=uniform(0, 48)),
                    "idempotency_key": uuid.uuid4().hex, "safety_alert_id": None,
                }  # fmt: skip

    w.insert(QuestionnaireResponse, rows())


def _audit(world: ScaleWorld, w: Writer, rng: random.Random) -> None:
    """Audit events over the last year, chained and signed as ``audit.actions.record`` does."""
    count = world.sizes.audit
    if count == 0:
        return
    # One chain per practice, as ``audit.actions.record`` appends (each event names its
    # practice): the head named by the practice's public id, its first row linked to
    # the practice's genesis hash, ``seq`` counted within the chain.
    chains: dict[int, list[Any]] = {}  # practice org pk -> [head id, name, last seq, last hash]
    for practice in world.practices:
        name = str(practice.org.public_id)
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            name=name,
            defaults={
                "last_hash": genesis(name),
                "signature": head_signature(0, genesis(name), name),
            },
        )
        chains[practice.org.pk] = [head.pk, name, head.last_seq, head.last_hash]
    last_at = (
        AuditEvent.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    )
    now = w.now
    start = now - dt.timedelta(days=365)
    if last_at is not None:
        start = max(start, last_at + dt.timedelta(microseconds=1))
    step = (now - start) / count
    staff = [(u, Role.PRESCRIBER.value, p) for p in world.practices for u in p.prescribers]
    staff += [(u, Role.COORDINATOR.value, p) for p in world.practices for u in p.coordinators]
    by_practice: dict[int, list[Person]] = {}
    for person in world.people:
        by_practice.setdefault(person.practice.org.pk, []).append(person)
    index: list[Row] = []
    random_, randrange, bits = rng.random, rng.randrange, rng.getrandbits
    view, login, update = (
        a.value for a in (AuditAction.VIEW, AuditAction.LOGIN, AuditAction.UPDATE)
    )

    def events() -> Iterator[Row]:
        for i in range(count):
            user, role, practice = staff[randrange(len(staff))]
            chain = chains[practice.org.pk]
            chain[2] += 1
            seq, prev = chain[2], chain[3]
            people = by_practice.get(practice.org.pk) or world.people
            client = str(people[randrange(len(people))].public_id)
            roll = random_()
            action, object_type, object_id, client_id = view, "clients.client", client, client
            detail: dict[str, Any] = dict(_VIA)
            listed: list[str] = []
            if roll < 0.05:
                action, object_type, object_id, client_id = (
                    login, "accounts.user", str(user.public_id), "",
                )  # fmt: skip
            elif roll < 0.06:
                listed = sorted({str(people[randrange(len(people))].public_id) for _ in range(10)})
                action, object_type, object_id, client_id = view, "", "", ""
                detail = {"list": "registry", "clients": listed, **_VIA}
            elif roll < 0.20:
                action, object_type = update, "referrals.referral"
                object_id = str(uuid.UUID(int=bits(128), version=4))
                detail = {"status": "accepted", **_VIA}
            values: Row = {
                "seq": seq,
                "occurred_at": start + step * i,
                "actor_id": user.pk,
                "actor_role": role,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "organisation_id": str(practice.org.public_id),
                "client_id": client_id,
                "request_id": f"{bits(128):032x}",
                "ip": "127.0.0.1",
                "detail": detail,
            }
            digest = row_hash(prev, values)
            values["id"] = w.pk(AuditEvent)
            values["chain"] = chain[0]
            values["prev_hash"], values["hash"] = prev, digest
            chain[3] = digest
            index.extend({"event_id": values["id"], "client_id": c} for c in listed)
            yield values

    w.insert(AuditEvent, events())
    w.insert(AuditEventClient, index)
    for head_id, name, seq, last in chains.values():
        AuditChainHead.objects.filter(pk=head_id).update(
            last_seq=seq, last_hash=last, signature=head_signature(seq, last, name)
        )


def describe(sizes: Sizes) -> str:
    return ", ".join(f"{getattr(sizes, f.name):,} {f.name}" for f in fields(sizes))
