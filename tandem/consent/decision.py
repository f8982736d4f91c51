"""The one decision point: may category C of client X's information go from A to B for P, now?

``decide()`` is a pure function over data loaded up front by ``ConsentContext``,
so judging a timeline of 200 items costs the same few queries as judging one.
Every feature that shares anything between organisations asks it; the write
path (``consent.actions.disclose``) asks it again under a lock and records the
disclosure.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from tandem.consent.categories import (
    DISCLOSURE_PURPOSES,
    PURPOSES_COVERED,
    Category,
    LegalBasis,
    Purpose,
)
from tandem.consent.models import PartyRole, Release, ReleaseKind, ReleaseParty, ReleaseStatus
from tandem.organisations.models import Organisation


class Reason(enum.StrEnum):
    ALLOWED_BY_RELEASE = "allowed_by_release"
    ALLOWED_TREATMENT_EXCEPTION = "allowed_treatment_exception"
    ALLOWED_RECORDED_BASIS = "allowed_recorded_basis"
    SAME_ORGANISATION = "same_organisation"
    NO_RELEASE = "no_release"
    NOT_SIGNED = "not_signed"
    NOT_YET_EFFECTIVE = "not_yet_effective"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REVOKED_NEEDS_RECORDED_BASIS = "revoked_needs_recorded_basis"
    SUPERSEDED = "superseded"
    CATEGORY_NOT_COVERED = "category_not_covered"
    DISCLOSER_NOT_NAMED = "discloser_not_named"
    RECIPIENT_NOT_NAMED = "recipient_not_named"
    PURPOSE_NOT_COVERED = "purpose_not_covered"
    PART2_CONSENT_MISSING = "part2_consent_missing"
    PSYCHOTHERAPY_NOTES_RELEASE_MISSING = "psychotherapy_notes_release_missing"
    ALREADY_RECEIVED = "already_received"


_MESSAGES = {
    Reason.ALLOWED_BY_RELEASE: "Allowed by the client's signed release.",
    Reason.ALLOWED_TREATMENT_EXCEPTION: (
        "Allowed without a release: treatment disclosure between treating providers, "
        "as the disclosing practice's policy permits."
    ),
    Reason.ALLOWED_RECORDED_BASIS: (
        "Allowed without a release: the client revoked their release, and a clinician "
        "recorded the legal basis for this treatment disclosure."
    ),
    Reason.SAME_ORGANISATION: "Within one organisation: not a disclosure.",
    Reason.ALREADY_RECEIVED: (
        "Delivered to you while a release allowed it: what was already shared stays with "
        "its recipient, even after the client revokes."
    ),
    Reason.NO_RELEASE: "No release from the client covers this.",
    Reason.NOT_SIGNED: "The release has not been signed yet.",
    Reason.NOT_YET_EFFECTIVE: "The release is not in effect yet.",
    Reason.EXPIRED: "The release has expired.",
    Reason.REVOKED: "The client revoked the release.",
    Reason.REVOKED_NEEDS_RECORDED_BASIS: (
        "The client revoked their release: sharing for treatment without it needs a "
        "clinician to record the legal basis for this disclosure."
    ),
    Reason.SUPERSEDED: "The release was replaced by a newer one.",
    Reason.CATEGORY_NOT_COVERED: "The release does not cover this kind of information.",
    Reason.DISCLOSER_NOT_NAMED: "The release does not name the sender.",
    Reason.RECIPIENT_NOT_NAMED: "The release does not name the recipient.",
    Reason.PURPOSE_NOT_COVERED: "The release does not cover this purpose.",
    Reason.PART2_CONSENT_MISSING: (
        "Substance use disorder records (42 CFR Part 2) need the client's Part 2 consent."
    ),
    Reason.PSYCHOTHERAPY_NOTES_RELEASE_MISSING: (
        "Psychotherapy notes need an authorization for psychotherapy notes alone."
    ),
}

#: Purposes the treatment exception (45 CFR 164.506) can apply to.
_TREATMENT_PURPOSES = frozenset({Purpose.TREATMENT_COORDINATION, Purpose.REFERRAL})


@dataclass(frozen=True)
class Party:
    """Someone information moves from or to: an organisation, optionally one person in it."""

    organisation_id: int
    user_id: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    release: Release | None = None
    category: str = ""

    @property
    def message(self) -> str:
        """Return the plain-language explanation shown to clinicians."""
        return _MESSAGES[self.reason]

    @property
    def withheld_label(self) -> str:
        """Return the line shown in place of a withheld item."""
        label = Category(self.category).label.lower() if self.category else "this information"
        return f"Withheld — no current release covers {label}. {self.message}"

    def __bool__(self) -> bool:
        return self.allowed


def weighed_releases(client_ids: Iterable[int]) -> QuerySet[Release]:
    """Return the releases ``decide`` weighs for ``client_ids``: all but the withdrawn drafts.

    Both ways of loading a ``ConsentContext`` read this queryset (the one statement reads
    it, and its parties through it), so what they weigh cannot drift apart.
    """
    return Release.objects.filter(client_id__in=list(client_ids)).exclude(
        status=ReleaseStatus.WITHDRAWN
    )


def exception_organisations() -> QuerySet[Organisation]:
    """Return the organisations that turned on the treatment exception (unordered)."""
    return Organisation.objects.filter(treatment_disclosures_without_release=True).order_by()


def _newest_first(releases: list[Release]) -> list[Release]:
    """Return ``releases`` in the order ``decide`` meets them: newest prepared first.

    ``Release``'s own ordering, with the newer row first between two prepared at the same
    instant (the database left those in any order): the same list whichever load read it.
    """
    return sorted(releases, key=lambda r: (r.prepared_at, r.pk), reverse=True)


@dataclass
class ConsentContext:
    """Everything ``decide`` needs for a set of clients, loaded in a constant number of queries."""

    releases_by_client: dict[int, list[Release]] = field(default_factory=dict)
    treatment_exception_orgs: frozenset[int] = frozenset()

    @classmethod
    def load(cls, client_ids: Iterable[int], *, lock: bool = False) -> ConsentContext:
        """Load the releases (with their parties) of ``client_ids``.

        In one statement (``_read_together``): every clinical page judges consent, and
        three round trips (the releases, their parties, the exception's organisations)
        were a sizeable share of a page's time. With ``lock`` the release rows are
        locked FOR UPDATE, so a concurrent revocation waits for the disclosure in
        progress (or the other way round); then the parties are read after the lock is
        held, in queries of their own.
        """
        ids = list(client_ids)
        if lock:
            # Lock in a stable order; the parties are read after the lock is held.
            locked = list(weighed_releases(ids).select_for_update().order_by("pk"))
            releases = list(
                Release.objects.filter(pk__in=[r.pk for r in locked]).prefetch_related("parties")
            )
            exception_orgs = frozenset(exception_organisations().values_list("pk", flat=True))
        else:
            releases, exception_orgs, _ = _read_together(ids)
        return cls._of(releases, exception_orgs)

    @classmethod
    def load_beside(
        cls, client_ids: Iterable[int], sql: str, params: Sequence[Any]
    ) -> tuple[ConsentContext, int]:
        """Return ``load(client_ids)`` and the integer ``sql`` selects, read in one statement.

        For a page that needs one more small answer before it can go on (the timeline:
        which kinds of item the client has rows of), a round trip saved. ``sql`` selects
        one row of one integer, with no ``FROM`` needed of the statement around it (it is
        read as a scalar subquery); it reads nothing of consent. Without clients, two
        statements as ``load`` does.
        """
        ids = list(client_ids)
        if not ids:
            with connections[router.db_for_read(Release)].cursor() as cursor:
                cursor.execute(sql, list(params))
                (value,) = cursor.fetchone()
            return cls.load(ids), int(value)
        releases, exception_orgs, value = _read_together(ids, beside=(sql, list(params)))
        assert value is not None
        return cls._of(releases, exception_orgs), value

    @classmethod
    def _of(cls, releases: list[Release], exception_orgs: frozenset[int]) -> ConsentContext:
        by_client: dict[int, list[Release]] = defaultdict(list)
        for release in _newest_first(releases):
            by_client[release.client_id].append(release)
        return cls(dict(by_client), exception_orgs)


#: ``_read_together``'s row tags: which arm of the UNION a row comes from.
_RELEASE, _PARTY, _EXCEPTION, _BESIDE = 0, 1, 2, 3


def _read_together(
    client_ids: list[int], beside: tuple[str, list[Any]] | None = None
) -> tuple[list[Release], frozenset[int], int | None]:
    """Return ``weighed_releases(client_ids)`` with their parties, and the exception's
    organisations, read in one statement.

    A ``UNION ALL`` of three querysets the ORM builds and compiles, each read whole: the
    releases (every column, as ``weighed``), their parties (the ``ReleaseParty`` rows
    whose release is one of ``weighed``: the very rows of the first arm, read once) and
    ``exception_organisations``. A row is a tag, the release's columns, then the party's:
    a party row leaves the release's empty, and an organisation row puts its id in the
    party's organisation column (the party's key to it, so the same type: PostgreSQL
    types each column from the first arm that fills it).
    Each arm's columns are converted by its own compiler's converters, as the ORM reads
    its rows (JSON, UUIDs, dates on SQLite). The releases become the instances the ORM
    builds (``from_db``), each with its parties as ``prefetch_related("parties")`` leaves
    them, so ``release.parties.all()`` reads nothing. Compiled SQL wrapped rather than the
    ORM's ``union()`` of padded ``values_list``s: resolving a hundred padding expressions
    cost more than the two round trips saved. ``test_decision_load.py`` pins the
    compiler's converters and the prefetch cache, and compares every decision with the
    three queries this replaced. ``beside``: a statement of one integer, read as a
    scalar subquery in the last arm (``ConsentContext.load_beside``), in the party's
    organisation column, whose type it takes.
    """
    if not client_ids:  # (no releases to read: ``IN ()`` compiles to nothing)
        assert beside is None
        return [], frozenset(exception_organisations().values_list("pk", flat=True)), None
    releases_qs = weighed_releases(client_ids).order_by()
    arms = [
        _Arm(releases_qs),
        _Arm(ReleaseParty.objects.order_by()),
        _Arm(exception_organisations().values_list("pk")),
    ]
    release_arm, party_arm, org_arm = arms
    n, m = release_arm.width, party_arm.width
    org_at = [f.attname for f in ReleaseParty._meta.concrete_fields].index("organisation_id")
    q = connections[releases_qs.db].ops.quote_name
    release_key = q(ReleaseParty._meta.get_field("release").column)
    release_pk = q(str(Release._meta.pk.column))
    pad_org, pad_after_org = ", NULL" * (n + org_at), ", NULL" * (m - org_at - 1)
    # (names from the models' own metadata, quoted; every value a parameter)
    sql = (
        f"WITH weighed AS ({release_arm.sql}) "  # noqa: S608
        f"SELECT {_RELEASE}, w.*{', NULL' * m} FROM weighed w "
        f"UNION ALL SELECT {_PARTY}{', NULL' * n}, p.* FROM ({party_arm.sql}) p "
        f"WHERE p.{release_key} IN (SELECT {release_pk} FROM weighed) "
        f"UNION ALL SELECT {_EXCEPTION}{pad_org}, o.*{pad_after_org} "
        f"FROM ({org_arm.sql}) o"
    )
    params = [p for arm in arms for p in arm.params]
    if beside is not None:
        sql += f" UNION ALL SELECT {_BESIDE}{pad_org}, ({beside[0]}){pad_after_org}"
        params += beside[1]
    db = releases_qs.db
    release_names = [f.attname for f in Release._meta.concrete_fields]
    party_names = [f.attname for f in ReleaseParty._meta.concrete_fields]
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    releases: dict[int, Release] = {}
    found: dict[int, list[ReleaseParty]] = defaultdict(list)
    exception: set[int] = set()
    value: int | None = None
    for tag, *row in fetched:
        if tag == _RELEASE:
            release = Release.from_db(db, release_names, release_arm.convert(row[:n]))
            releases[release.pk] = release
        elif tag == _PARTY:
            party = ReleaseParty.from_db(db, party_names, party_arm.convert(row[n:]))
            found[party.release_id].append(party)
        elif tag == _EXCEPTION:
            exception.add(org_arm.convert(row[n + org_at : n + org_at + 1])[0])
        else:
            value = int(row[n + org_at])
    for release in releases.values():
        _prefetched(release, sorted(found.get(release.pk, []), key=lambda p: p.pk))
    return list(releases.values()), frozenset(exception), value


class _Arm:
    """One queryset compiled as the ORM compiles it, and its columns' converters."""

    def __init__(self, qs: QuerySet[Any]) -> None:
        self.compiler = qs.query.get_compiler(using=qs.db)
        self.sql, self.params = self.compiler.as_sql()
        columns = [column for column, _, _ in self.compiler.select]
        self.width = len(columns)
        # What ``SQLCompiler.results_iter`` converts a row with (pinned by the tests).
        self.converters = self.compiler.get_converters(columns)

    def convert(self, values: list[Any]) -> list[Any]:
        """Return one row's values (this arm's columns) as the ORM reads them."""
        if not self.converters:
            return values
        return next(iter(self.compiler.apply_converters([values], self.converters)))


def _prefetched(release: Release, parties: list[ReleaseParty]) -> None:
    """Give ``release`` its ``parties`` as ``prefetch_related("parties")`` does.

    Django's ``prefetch_one_level``: each party's cached release, and the manager's
    queryset with its results in ``_prefetched_objects_cache`` (internals, pinned by
    ``test_decision_load.py``: ``release.parties.all()`` then runs no query).
    """
    field = ReleaseParty._meta.get_field("release")
    for party in parties:
        field.set_cached_value(party, release)
    qs = release.parties.get_queryset()
    qs._result_cache = parties
    qs._prefetch_done = True  # type: ignore[attr-defined]
    if not hasattr(release, "_prefetched_objects_cache"):
        release._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    release._prefetched_objects_cache["parties"] = qs  # type: ignore[attr-defined]


def _names(release: Release, party: Party, role: PartyRole) -> bool:
    roles = {PartyRole.DISCLOSER, PartyRole.RECIPIENT} if release.two_way else {role}
    return any(
        p.role in roles
        and p.organisation_id == party.organisation_id
        and (p.user_id is None or p.user_id == party.user_id)
        for p in release.parties.all()
    )


def _kind_for(category: str) -> ReleaseKind:
    if category == Category.PSYCHOTHERAPY_NOTES:
        return ReleaseKind.PSYCHOTHERAPY_NOTES
    if category == Category.PART2_RECORDS:
        return ReleaseKind.PART2
    return ReleaseKind.GENERAL


def _judge(
    release: Release, category: str, source: Party, recipient: Party, purpose: str, now: dt.datetime
) -> tuple[int, Reason]:
    """Return how far ``release`` got through the checks, and where it stopped."""
    checks: list[tuple[bool, Reason]] = [
        (category in release.categories, Reason.CATEGORY_NOT_COVERED),
        (_names(release, source, PartyRole.DISCLOSER), Reason.DISCLOSER_NOT_NAMED),
        (_names(release, recipient, PartyRole.RECIPIENT), Reason.RECIPIENT_NOT_NAMED),
        (release.status != ReleaseStatus.DRAFT, Reason.NOT_SIGNED),
        (release.status != ReleaseStatus.REVOKED, Reason.REVOKED),
        (release.status != ReleaseStatus.SUPERSEDED, Reason.SUPERSEDED),
        (release.effective_from <= timezone.localdate(now), Reason.NOT_YET_EFFECTIVE),
        (not release.is_expired(now), Reason.EXPIRED),
        (_purpose_fits(release.purpose, purpose), Reason.PURPOSE_NOT_COVERED),
    ]
    for passed, (ok, reason) in enumerate(checks):
        if not ok:
            return passed, reason
    return len(checks), Reason.ALLOWED_BY_RELEASE


def _purpose_fits(granted: str, asked: str) -> bool:
    # Exactly the purposes the release states: referral only is not coordination.
    return asked in PURPOSES_COVERED.get(granted, frozenset())


def _names_organisation(release: Release, organisation_id: int, role: PartyRole) -> bool:
    roles = {PartyRole.DISCLOSER, PartyRole.RECIPIENT} if release.two_way else {role}
    return any(
        p.role in roles and p.organisation_id == organisation_id for p in release.parties.all()
    )


def revocation_between(
    releases: Iterable[Release], source_organisation_id: int, recipient_organisation_id: int
) -> Release | None:
    """Return a general release the client revoked that let source's organisation share with
    recipient's, if any (named clinicians count for their whole organisation)."""
    for release in releases:
        if (
            release.kind == ReleaseKind.GENERAL
            and release.status == ReleaseStatus.REVOKED
            and _names_organisation(release, source_organisation_id, PartyRole.DISCLOSER)
            and _names_organisation(release, recipient_organisation_id, PartyRole.RECIPIENT)
        ):
            return release
    return None


def exception_survivors(release: Release, treatment_exception_orgs: Iterable[int]) -> list[int]:
    """Return the organisations named on ``release`` that may still share with its other parties
    under the treatment exception once it is revoked — each disclosure only with a recorded
    legal basis. Empty when no discloser on it has turned the exception on."""
    exception = set(treatment_exception_orgs)
    roles = {PartyRole.DISCLOSER, PartyRole.RECIPIENT} if release.two_way else {PartyRole.DISCLOSER}
    return sorted({p.organisation_id for p in release.parties.all() if p.role in roles} & exception)


def decide(
    context: ConsentContext,
    *,
    client_id: int,
    category: str,
    source: Party,
    recipient: Party,
    purpose: str,
    now: dt.datetime | None = None,
    legal_basis: str = "",
) -> Decision:
    """Decide whether ``category`` of the client's information may go from source to recipient.

    Default deny. Within one organisation nothing is disclosed, so it is allowed.
    A release is honoured for exactly the purposes it states. Psychotherapy notes
    pass only under a psychotherapy-notes authorization, Part 2 records only under
    a Part 2 consent; neither under the treatment exception. Once the client has
    revoked a release between source and recipient, the treatment exception no
    longer carries anything between them on its own: only a disclosure for which a
    clinician records ``legal_basis`` (a ``LegalBasis``) passes.
    """
    now = now or timezone.now()
    category = Category(category).value  # an unknown category is a programming error
    if purpose not in DISCLOSURE_PURPOSES:
        raise ValueError(
            f"Ask for one purpose at a time, not {purpose!r}: a disclosure has one purpose."
        )
    if legal_basis:
        LegalBasis(legal_basis)  # an unknown basis is a programming error too
    if source.organisation_id == recipient.organisation_id:
        return Decision(True, Reason.SAME_ORGANISATION, category=category)
    kind = _kind_for(category)
    candidates = [r for r in context.releases_by_client.get(client_id, []) if r.kind == kind]
    best: tuple[int, Reason, Release | None] = (-1, Reason.NO_RELEASE, None)
    for release in candidates:
        score, reason = _judge(release, category, source, recipient, purpose, now)
        if reason == Reason.ALLOWED_BY_RELEASE:
            return Decision(True, reason, release, category)
        if score > best[0]:
            best = (score, reason, release)
    if (
        kind == ReleaseKind.GENERAL
        and purpose in _TREATMENT_PURPOSES
        and source.organisation_id in context.treatment_exception_orgs
    ):
        revoked = revocation_between(
            context.releases_by_client.get(client_id, []),
            source.organisation_id,
            recipient.organisation_id,
        )
        if revoked is None:
            return Decision(True, Reason.ALLOWED_TREATMENT_EXCEPTION, None, category)
        if legal_basis:
            return Decision(True, Reason.ALLOWED_RECORDED_BASIS, None, category)
        return Decision(False, Reason.REVOKED_NEEDS_RECORDED_BASIS, revoked, category)
    if best[2] is None:
        if kind == ReleaseKind.PART2:
            return Decision(False, Reason.PART2_CONSENT_MISSING, None, category)
        if kind == ReleaseKind.PSYCHOTHERAPY_NOTES:
            return Decision(False, Reason.PSYCHOTHERAPY_NOTES_RELEASE_MISSING, None, category)
        return Decision(False, Reason.NO_RELEASE, None, category)
    return Decision(False, best[1], best[2], category)
