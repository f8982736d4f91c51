"""The synthetic demo world: practices, clinicians, staff and clients, all invented.

The steps here build the people (organisations, staff, clients); the other
modules of ``tandem.demo`` add each domain (releases, referrals, the measures
case), and ``tandem.demo.seed`` lists every step in order and runs them in one
transaction. Each step looks its rows up by a stable natural key (an email, a
practice name) and only creates or changes what differs, so running it twice
changes nothing. Each step receives the ``DemoWorld`` built so far.

Every demo login is on ``DEMO_EMAIL_DOMAIN``, shares ``DEMO_PASSWORD`` and has
TOTP enrolled with a secret derived from its email (``demo_totp_secret``), so
``manage.py demo_code`` can print a current one-time code. None of this is
reachable outside ``settings.DEMO_MODE`` (see ``require_demo_mode``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt, encrypt
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from tandem.accounts.models import ClinicianProfile, LicenceType, User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation, OrganisationKind

DEMO_EMAIL_DOMAIN = "demo.tandem.test"
#: Shared by every demo login; long enough and uncommon enough to pass the validators.
DEMO_PASSWORD = "tandem-demo-2026"  # noqa: S105 - a published demo credential, DEMO_MODE only
#: Public on purpose: demo TOTP secrets must be the same on every machine.
_DEMO_TOTP_KEY = b"tandem demo totp v1"
#: Client records that have no portal account use this reserved domain.
CLIENT_EMAIL_DOMAIN = "example.test"
_RANDOM_SEED = 20260418  # Patriots' Day 2026: any fixed number keeps the names stable.
_VIA = {"via": "seed_demo"}


# --- Guards and TOTP helpers ------------------------------------------------


class DemoModeRequired(ImproperlyConfigured):
    """Raised when demo-only machinery is asked to run outside the demo configuration."""


def require_demo_mode() -> None:
    """Refuse to go on unless the settings say this is the demo configuration."""
    if not getattr(settings, "DEMO_MODE", False):
        raise DemoModeRequired(
            "The demo commands run only in the demo configuration (DEMO_MODE is off). "
            "Use scripts/demo, or tandem.settings.dev with TANDEM_DEMO_MODE=1."
        )


def fixed_demo_code() -> str:
    """Return the fixed one-time code the demo accepts, or "" where none is accepted.

    Set in the dev settings only while DEMO_MODE (and DEBUG) are on; production clears it.
    """
    if not getattr(settings, "DEMO_MODE", False):
        return ""
    return str(getattr(settings, "MFA_TOTP_INSECURE_BYPASS_CODE", None) or "")


def is_demo_email(email: str) -> bool:
    """Return whether ``email`` belongs to a demo account (only those get demo credentials)."""
    return email.strip().lower().endswith("@" + DEMO_EMAIL_DOMAIN)


def demo_totp_secret(email: str) -> str:
    """Return the base32 TOTP secret of the demo account ``email``, the same on every machine."""
    digest = hmac.new(_DEMO_TOTP_KEY, email.strip().lower().encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


@dataclass(frozen=True)
class CurrentCode:
    code: str
    seconds_left: int


def current_code(user: User) -> CurrentCode | None:
    """Return the TOTP code ``user``'s authenticator accepts now, or None without TOTP.

    Read from the stored secret (not re-derived) so it stays right even if
    someone re-enrolled TOTP while trying the demo.
    """
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    secret = decrypt(authenticator.data["secret"])
    period = mfa_settings.TOTP_PERIOD
    now = int(time.time())
    return CurrentCode(
        code=format_hotp_value(hotp_value(secret, now // period)),
        seconds_left=period - now % period,
    )


# --- The world ----------------------------------------------------------------


@dataclass(frozen=True)
class PracticeSpec:
    key: str
    kind: str
    name: str
    address_line: str
    city: str
    postal_code: str
    phone: str
    website: str
    telehealth_states: tuple[str, ...]


@dataclass(frozen=True)
class PersonSpec:
    email_local: str
    full_name: str
    practice: str
    roles: tuple[str, ...]
    licence: tuple[str, str] | None = None  # (licence type, number), all in MA
    on_call: bool = False
    main_login_for: str = ""  # the role newcomers should try with this account

    @property
    def email(self) -> str:
        return f"{self.email_local}@{DEMO_EMAIL_DOMAIN}"


PSYCHIATRIC = OrganisationKind.PSYCHIATRIC_PRACTICE
THERAPY = OrganisationKind.THERAPY_PRACTICE

PRACTICES: tuple[PracticeSpec, ...] = (
    # Like the article's practice: adults 18-64, telehealth anywhere in Massachusetts,
    # commercial PPO/EPO plans and self-pay (the directory issue records that policy).
    PracticeSpec(
        "harborlight", PSYCHIATRIC, "Harborlight Psychiatry", "1 Lantern Wharf, Suite 410",
        "Boston", "02110", "(617) 555-0142", "https://harborlight.example.org", ("MA",),
    ),
    # A group practice seeing clients in its office and by telehealth.
    PracticeSpec(
        "quinsigamond", PSYCHIATRIC, "Quinsigamond Behavioral Health Group",
        "240 Elmgrove Terrace, 2nd floor", "Worcester", "01609", "(508) 555-0177",
        "https://quinsigamond-bh.example.org", ("MA",),
    ),
    PracticeSpec(
        "backbay", THERAPY, "Back Bay Counseling Collective", "75 Marlowe Street, Suite 3",
        "Boston", "02116", "(617) 555-0119", "https://backbay-counseling.example.org", ("MA",),
    ),
    PracticeSpec(
        "northshore", THERAPY, "North Shore Family Therapy", "18 Saltmeadow Lane",
        "Salem", "01970", "(978) 555-0163", "", ("MA",),
    ),
    PracticeSpec(
        "mystic", THERAPY, "Mystic River Therapy", "402 Riverbend Avenue",
        "Somerville", "02145", "(617) 555-0188", "", ("MA",),
    ),
    PracticeSpec(
        "pioneer", THERAPY, "Pioneer Valley Counseling", "9 Orchard Mill Road",
        "Northampton", "01060", "(413) 555-0131", "", ("MA",),
    ),
    PracticeSpec(
        "capeann", THERAPY, "Cape Ann Psychotherapy", "27 Granite Pier Road",
        "Gloucester", "01930", "(978) 555-0104", "", (),
    ),
)  # fmt: skip

T, P, C, A = Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR, Role.PRACTICE_ADMIN
L = LicenceType

STAFF: tuple[PersonSpec, ...] = (
    # Harborlight Psychiatry
    PersonSpec("elena.marsh", "Elena Marsh", "harborlight", (P,), (L.MD, "D-261804"),
               on_call=True, main_login_for=P),
    PersonSpec("samuel.adeyemi", "Samuel Adeyemi", "harborlight", (P,),
               (L.PMHNP, "D-NP41827")),
    PersonSpec("priya.raman", "Priya Raman", "harborlight", (C,), main_login_for=C),
    PersonSpec("tomas.lindqvist", "Tomás Lindqvist", "harborlight", (C,)),
    PersonSpec("grace.whitcombe", "Grace Whitcombe", "harborlight", (A,), main_login_for=A),
    # Quinsigamond Behavioral Health Group
    PersonSpec("marcus.delacroix", "Marcus Delacroix", "quinsigamond", (P,),
               (L.DO, "D-273551"), on_call=True),
    PersonSpec("hannah.kowalczyk", "Hannah Kowalczyk", "quinsigamond", (C,)),
    PersonSpec("robert.nakamura", "Robert Nakamura", "quinsigamond", (A,)),
    # Therapy practices: eight therapists in five practices (solo therapists run their own).
    PersonSpec("maya.brennan", "Maya Brennan", "backbay", (T, A), (L.LICSW, "D-118204"),
               main_login_for=T),
    PersonSpec("daniel.osei", "Daniel Osei", "backbay", (T,), (L.LMHC, "D-9317")),
    PersonSpec("ruth.feldman", "Ruth Feldman", "backbay", (T,),
               (L.PSYCHOLOGIST, "D-10482")),
    PersonSpec("carmen.villalobos", "Carmen Villalobos", "northshore", (T, A),
               (L.LMFT, "D-2214")),
    PersonSpec("patrick.doyle", "Patrick Doyle", "northshore", (T,),
               (L.LICSW, "D-120977")),
    PersonSpec("aisha.karimi", "Aisha Karimi", "mystic", (T, A), (L.LICSW, "D-123650")),
    PersonSpec("jonah.whitaker", "Jonah Whitaker", "pioneer", (T, A), (L.LMHC, "D-8846")),
    PersonSpec("lucia.moreau", "Lucia Moreau", "capeann", (T, A),
               (L.PSYCHOLOGIST, "D-9965")),
)  # fmt: skip

#: The one client who has a portal account (a demo login like the staff ones, without MFA).
PORTAL_CLIENT = ("Jordan", "Ellery", dt.date(1991, 8, 14), "jordan.ellery")

_FIRST_NAMES = (
    "Avery", "Beatriz", "Caleb", "Delia", "Emmett", "Farah", "Gideon", "Harper", "Ines",
    "Jasper", "Keiko", "Leon", "Mirela", "Nolan", "Odette", "Pascal", "Quinn", "Rosalind",
    "Silas", "Tamsin", "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zelda", "Anselm",
    "Brigid", "Cyrus", "Dagny", "Ezra", "Fiona", "Gareth", "Hollis", "Ilse", "Joaquin",
    "Kestrel", "Linnea", "Magnus", "Nadia",
)  # fmt: skip
_LAST_NAMES = (
    "Abernathy", "Bellweather", "Calloway", "Dunmore", "Everly", "Fairbanks", "Galloway",
    "Hartigan", "Ivers", "Jessup", "Kincaid", "Larkspur", "Merriweather", "Northcott",
    "Oakhurst", "Pemberton", "Quigley", "Rowntree", "Stanhope", "Thornbury", "Underhill",
    "Vandermeer", "Whitlock", "Yardley", "Ashcombe", "Brightwater", "Cresswell", "Dovecote",
    "Elsworth", "Fenwick", "Greenhalgh", "Holloway", "Inglewood", "Juniper", "Kettering",
    "Lockhart", "Marchbanks", "Nettleton", "Ormsby", "Pryor",
)  # fmt: skip
N_CLIENTS = 40


@dataclass(frozen=True)
class ClientSpec:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str
    state_of_residence: str
    therapist: str  # email_local of the primary therapist
    psychiatric: tuple[str, str] | None  # (prescriber, coordinator) email_locals
    portal: bool = False


def client_specs() -> list[ClientSpec]:
    """Return the forty clients, the same every run (fixed random seed)."""
    rng = random.Random(_RANDOM_SEED)
    firsts, lasts = list(_FIRST_NAMES), list(_LAST_NAMES)
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    therapists = [p.email_local for p in STAFF if T in p.roles]
    teams = {
        "harborlight": [("elena.marsh", "priya.raman"), ("samuel.adeyemi", "tomas.lindqvist")],
        "quinsigamond": [("marcus.delacroix", "hannah.kowalczyk")],
    }
    specs: list[ClientSpec] = []
    first, last, dob, local = PORTAL_CLIENT
    specs.append(
        ClientSpec(first, last, dob, f"{local}@{DEMO_EMAIL_DOMAIN}", "MA", therapists[0],
                   teams["harborlight"][0], portal=True)
    )  # fmt: skip
    for i in range(N_CLIENTS - 1):
        first, last = firsts[i], lasts[i]
        born = dt.date(rng.randint(1964, 2006), rng.randint(1, 12), rng.randint(1, 28))
        if i == 7:
            born = dt.date(1955, 4, 12)  # over 64: outside Harborlight's age range (Medicare age)
        elif i == 21:
            born = dt.date(2010, 6, 3)  # a minor: outside every demo practice's age range
        state = {11: "RI", 29: "NH"}.get(i, "MA")  # two live out of state, for telehealth rules
        therapist = therapists[(i + 1) % len(therapists)]
        psychiatric = None
        if i % 2 == 0:  # about half also see a prescriber, most at Harborlight
            practice = "quinsigamond" if i % 6 == 0 else "harborlight"
            options = teams[practice]
            psychiatric = options[(i // 2) % len(options)]
        email = f"{first}.{last}@{CLIENT_EMAIL_DOMAIN}".lower()
        specs.append(ClientSpec(first, last, born, email, state, therapist, psychiatric))
    return specs


# --- Seeding -----------------------------------------------------------------


@dataclass
class DemoWorld:
    """What the steps so far have built, for the steps after them."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by email_local
    clients: list[Client] = field(default_factory=list)
    password_hash: str = ""
    created: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def count(self, label: str, *, created: bool, changed: bool) -> None:
        if created:
            self.created[label] = self.created.get(label, 0) + 1
        elif changed:
            self.changed[label] = self.changed.get(label, 0) + 1


#: One step of the demo: it adds to the database what ``world`` lacks, and to ``world``.
SeedStep = Callable[[DemoWorld], None]


def upsert[M: models.Model](
    model: type[M], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[M, bool, bool]:
    """Return (object, created, changed): create it, or update only the fields that differ.

    Unlike ``update_or_create`` this writes nothing when the row is already right.
    """
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values), True, False
    stale = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in stale:
        setattr(obj, name, values[name])
    if stale:
        obj.save(update_fields=stale)
    return obj, False, bool(stale)


def seed_organisations(world: DemoWorld) -> None:
    """Create the two psychiatric practices and the five therapy practices."""
    for spec in PRACTICES:
        org, created, changed = upsert(
            Organisation,
            {"name": spec.name},
            {
                "kind": spec.kind,
                "time_zone": "America/New_York",
                "holiday_country": "US",
                "holiday_subdivision": "MA",
                "address_line": spec.address_line,
                "city": spec.city,
                "state": "MA",
                "postal_code": spec.postal_code,
                "phone": spec.phone,
                "website": spec.website,
                "telehealth_states": list(spec.telehealth_states),
                "is_active": True,
            },
        )
        world.organisations[spec.key] = org
        world.count("organisations", created=created, changed=changed)


def _demo_password_hash(world: DemoWorld) -> str:
    """Return a hash of DEMO_PASSWORD, reusing an existing demo account's (hashing is slow)."""
    if world.password_hash:
        return world.password_hash
    existing = (
        User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN)
        .values_list("password", flat=True)
        .first()
    )
    if existing and check_password(DEMO_PASSWORD, existing):
        world.password_hash = existing
    else:
        world.password_hash = make_password(DEMO_PASSWORD)
    return world.password_hash


def _demo_user(world: DemoWorld, email: str, full_name: str) -> User:
    """Create or update a demo login: shared password, verified primary email."""
    user, created, changed = upsert(
        User,
        {"email": email},
        {"full_name": full_name, "is_active": True, "is_staff": False, "is_superuser": False},
    )
    password_hash = _demo_password_hash(world)
    if user.password != password_hash:
        user.password = password_hash
        user.save(update_fields=["password"])
        changed = True
    _, new_address, address_changed = upsert(
        EmailAddress, {"user": user, "email": email}, {"verified": True, "primary": True}
    )
    world.count("users", created=created, changed=changed or new_address or address_changed)
    return user


def _enrol_totp(world: DemoWorld, user: User) -> None:
    secret = demo_totp_secret(user.email)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
        )
        record(actor=None, action=AuditAction.MFA_ADDED, obj=user, detail={"type": "totp", **_VIA})
        world.count("totp", created=True, changed=False)
    elif decrypt(authenticator.data["secret"]) != secret:
        authenticator.data = {"secret": encrypt(secret)}
        authenticator.save(update_fields=["data"])
        world.count("totp", created=False, changed=True)


def seed_staff(world: DemoWorld) -> None:
    """Create the clinicians and practice staff, with roles, licences, verified email and TOTP."""
    for spec in STAFF:
        user = _demo_user(world, spec.email, spec.full_name)
        world.users[spec.email_local] = user
        organisation = world.organisations[spec.practice]
        for role in spec.roles:
            membership, created, changed = upsert(
                Membership,
                {"user": user, "organisation": organisation, "role": role},
                {"is_active": True, "is_on_call": spec.on_call and role == P},
            )
            if created:
                record(
                    actor=None,
                    action=AuditAction.PERMISSION_GRANTED,
                    obj=membership,
                    organisation=organisation,
                    detail={"role": role, "user": str(user.public_id), **_VIA},
                )
            world.count("memberships", created=created, changed=changed)
        if spec.licence is not None:
            licence_type, number = spec.licence
            _, created, changed = upsert(
                ClinicianProfile,
                {"user": user},
                {"licence_type": licence_type, "licence_number": number, "licence_states": ["MA"]},
            )
            world.count("clinician profiles", created=created, changed=changed)
        _enrol_totp(world, user)


def seed_clients(world: DemoWorld) -> None:
    """Create the forty clients (one with a portal account) and their care teams."""
    organisation_of = {
        (m.user_id, m.role): m.organisation
        for m in Membership.objects.filter(user__in=world.users.values()).select_related(
            "organisation"
        )
    }
    existing_team = {
        (m.client_id, m.user_id, m.role): m
        for m in CareTeamMember.objects.filter(ended_on__isnull=True)
    }
    new_members: list[CareTeamMember] = []
    for spec in client_specs():
        portal_user = None
        if spec.portal:
            portal_user = _demo_user(world, spec.email, f"{spec.first_name} {spec.last_name}")
            world.users[spec.email.split("@")[0]] = portal_user
        client, created, changed = upsert(
            Client,
            {"email": spec.email},
            {
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "date_of_birth": spec.date_of_birth,
                "state_of_residence": spec.state_of_residence,
                "phone": "",
                "user": portal_user,
            },
        )
        if created:
            record(actor=None, action=AuditAction.CREATE, obj=client, client=client, detail=_VIA)
        world.count("clients", created=created, changed=changed)
        world.clients.append(client)

        wanted = [(spec.therapist, T, True)]
        if spec.psychiatric is not None:
            prescriber, coordinator = spec.psychiatric
            wanted += [(prescriber, P, False), (coordinator, C, False)]
        for local, role, primary in wanted:
            user = world.users[local]
            member = existing_team.get((client.pk, user.pk, role))
            if member is None:
                new_members.append(
                    CareTeamMember(
                        client=client,
                        user=user,
                        organisation=organisation_of[(user.pk, role)],
                        role=role,
                        is_primary_therapist=primary,
                    )
                )
            elif member.is_primary_therapist != primary:
                member.is_primary_therapist = primary
                member.save(update_fields=["is_primary_therapist"])
                world.count("care team members", created=False, changed=True)
    CareTeamMember.objects.bulk_create(new_members)
    for _ in new_members:
        world.count("care team members", created=True, changed=False)


#: The roles a newcomer should try, in the order demo_logins shows them.
MAIN_ROLES = (T, P, C, A, Role.CLIENT)


@dataclass(frozen=True)
class DemoLogin:
    roles: str
    practice: str
    email: str
    main_for: str  # the role label this is the suggested login for, else ""


def demo_logins() -> list[DemoLogin]:
    """Return every demo login, the suggested one for each role first (in MAIN_ROLES order)."""
    names = {p.key: p.name for p in PRACTICES}
    logins = [
        DemoLogin(
            roles=" + ".join(Role(r).label for r in s.roles),
            practice=names[s.practice],
            email=s.email,
            main_for=Role(s.main_login_for).label if s.main_login_for else "",
        )
        for s in STAFF
    ]
    first, last, _, local = PORTAL_CLIENT
    logins.append(
        DemoLogin(
            roles=Role.CLIENT.label,
            practice=f"patient portal ({first} {last})",
            email=f"{local}@{DEMO_EMAIL_DOMAIN}",
            main_for=Role.CLIENT.label,
        )
    )
    order = [Role(r).label for r in MAIN_ROLES]
    return sorted(logins, key=lambda d: order.index(d.main_for) if d.main_for else len(order))
