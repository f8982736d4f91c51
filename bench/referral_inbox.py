"""Time the referral inbox of a practice holding 20,000 referrals.

Run from the repository root:

    .venv/bin/python bench/referral_inbox.py

It migrates its own SQLite file (var/bench.sqlite3) unless DATABASE_URL names
another database, fills one synthetic psychiatric practice with referrals
(bulk_create, once: later runs reuse them), then GETs the inbox page 200 times
as a coordinator with MFA through Django's test client, and prints the median
and 95th percentile server time, the SQL queries per request and the rows.
See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
# Time the page as production serves it: no template debugging or per-query bookkeeping.
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.utils import encrypt  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.clients.models import CareTeamMember, Client  # noqa: E402
from tandem.core.roles import Role  # noqa: E402
from tandem.organisations.models import Membership, Organisation, OrganisationKind  # noqa: E402
from tandem.referrals import selectors  # noqa: E402
from tandem.referrals.models import (  # noqa: E402
    Payer,
    PlanType,
    PracticePolicy,
    Referral,
    ReferralReason,
    Service,
)
from tandem.referrals.models import ReferralStatus as S  # noqa: E402
from tandem.tests.support.http import Client as WebClient  # noqa: E402

PRACTICE = "Bench Psychiatry (synthetic)"
COORDINATOR_EMAIL = "bench.coordinator@bench.tandem.test"
#: Share of each state among a practice's referrals after some months of use.
STATE_MIX: dict[str, float] = {
    S.DRAFT: 0.01,  # drafts belong to the therapists; the practice never sees them
    S.SENT: 0.08,
    S.RECEIVED: 0.08,
    S.INFO_REQUESTED: 0.03,
    S.ACCEPTED: 0.08,
    S.SCHEDULED: 0.15,
    S.NO_SHOW: 0.02,
    S.FIRST_VISIT_DONE: 0.05,
    S.CONSULT_NOTE_SENT: 0.05,
    S.DECLINED: 0.05,
    S.CANCELLED: 0.05,
    S.CLOSED: 0.35,
}
N_THERAPISTS = 60
N_CLIENTS = 4000


def percentile(values: list[float], share: float) -> float:
    """Return the ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[rank - 1]


def _coordinator(practice: Organisation) -> User:
    user, _ = User.objects.get_or_create(
        email=COORDINATOR_EMAIL, defaults={"full_name": "Bench Coordinator"}
    )
    Membership.objects.get_or_create(user=user, organisation=practice, role=Role.COORDINATOR)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")},
        )
    return user


def fill(n_referrals: int, seed: int) -> tuple[Organisation, User]:
    """Create the practice and its referrals unless they are already there; return both."""
    practice, _ = Organisation.objects.get_or_create(
        name=PRACTICE,
        defaults={
            "kind": OrganisationKind.PSYCHIATRIC_PRACTICE,
            "time_zone": "America/New_York",
            "holiday_country": "US",
            "holiday_subdivision": "MA",
            "state": "MA",
            "telehealth_states": ["MA"],
        },
    )
    PracticePolicy.objects.get_or_create(
        organisation=practice,
        defaults={
            "visit_states": ["MA"],
            "payers": [Payer.COMMERCIAL, Payer.SELF_PAY],
            "plan_types": [PlanType.PPO, PlanType.EPO],
            "services": [s.value for s in Service],
            "response_target_days": 2,
        },
    )
    coordinator = _coordinator(practice)
    have = Referral.objects.filter(to_organisation=practice).count()
    if have >= n_referrals:
        print(f"Reusing the {have:,} referrals already in {PRACTICE}.")
        return practice, coordinator

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        therapy = [
            Organisation.objects.get_or_create(
                name=f"Bench Therapy Practice {i} (synthetic)",
                defaults={"kind": OrganisationKind.THERAPY_PRACTICE, "state": "MA"},
            )[0]
            for i in range(10)
        ]
        therapists = []
        for i in range(N_THERAPISTS):
            user, _ = User.objects.get_or_create(
                email=f"bench.therapist{i}@bench.tandem.test",
                defaults={"full_name": f"Bench Therapist {i}"},
            )
            Membership.objects.get_or_create(
                user=user, organisation=therapy[i % len(therapy)], role=Role.THERAPIST
            )
            therapists.append(user)
        clients = Client.objects.bulk_create(
            [
                Client(
                    first_name=f"Benchclient{i}",
                    last_name="Synthetic",
                    date_of_birth=dt.date(1970 + i % 35, 1 + i % 12, 1 + i % 28),
                    email=f"bench.client{i}@example.test",
                    state_of_residence="MA",
                )
                for i in range(N_CLIENTS)
            ],
            batch_size=1000,
        )
        team = []
        therapist_of: dict[int, tuple[User, Organisation]] = {}
        for i, client in enumerate(clients):
            therapist = therapists[i % N_THERAPISTS]
            organisation = therapy[(i % N_THERAPISTS) % len(therapy)]
            therapist_of[client.pk] = (therapist, organisation)
            team.append(
                CareTeamMember(
                    client=client,
                    user=therapist,
                    organisation=organisation,
                    role=Role.THERAPIST,
                    is_primary_therapist=True,
                )
            )
        CareTeamMember.objects.bulk_create(team, batch_size=1000)

        now = timezone.now()
        states, weights = zip(*STATE_MIX.items(), strict=True)
        referrals = []
        for _ in range(n_referrals - have):
            client = clients[rng.randrange(N_CLIENTS)]
            therapist, organisation = therapist_of[client.pk]
            status = rng.choices(states, weights)[0]
            # Open referrals are recent; finished ones spread over the last six months.
            open_state = status in selectors.INBOX_STATES
            age = dt.timedelta(hours=rng.uniform(1, 24 * (21 if open_state else 180)))
            urgent = rng.random() < 0.01
            sent_at = None if status == S.DRAFT else now - age
            due_at = None
            if sent_at is not None:
                due_at = sent_at + (
                    dt.timedelta(hours=4) if urgent else dt.timedelta(days=rng.choice((1, 2, 3)))
                )
            responded = status not in (S.DRAFT, S.SENT)
            overdue = 0
            if status == S.SENT and due_at is not None and due_at < now:
                overdue = 2 if now - due_at > dt.timedelta(days=1) else 1
            referrals.append(
                Referral(
                    client=client,
                    therapist=therapist,
                    from_organisation=organisation,
                    to_organisation=practice,
                    status=status,
                    idempotency_key=uuid.uuid4(),
                    urgent=urgent,
                    payer=Payer.COMMERCIAL,
                    plan_type=PlanType.PPO,
                    visit_state="MA",
                    service=Service.MEDICATION_MANAGEMENT,
                    reasons=[ReferralReason.TREATMENT_RESISTANT],
                    diagnoses=["F33.1"],
                    sent_at=sent_at,
                    due_at=due_at,
                    responded_at=(sent_at + dt.timedelta(hours=3))
                    if responded and sent_at
                    else None,
                    overdue_level=overdue,
                )
            )
        Referral.objects.bulk_create(referrals, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would soon give
            cursor.execute("ANALYZE")
    print(
        f"Filled {PRACTICE} with {n_referrals - have:,} referrals in "
        f"{time.perf_counter() - started:.1f} s."
    )
    return practice, coordinator


def time_view(coordinator: User, requests: int) -> dict[str, Any]:
    """GET the inbox ``requests`` times; return the timings, queries and rows per request."""
    setup_test_environment()  # lets the test client's "testserver" host through ALLOWED_HOSTS
    # One access-log line per request would bury the figures; writing it costs microseconds.
    logging.getLogger("tandem.access").setLevel(logging.WARNING)
    # WhiteNoise warns once that collectstatic has not run; the inbox serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    browser = WebClient()
    browser.force_login(coordinator)
    url = reverse("referrals:inbox")
    for _ in range(5):  # warm caches (templates, ICD list, holidays) before timing
        assert browser.get(url).status_code == 200
    times, queries = [], []
    body = b""
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = browser.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"The inbox answered {response.status_code}; expected 200.")
        queries.append(len(captured.captured_queries))
        body = response.content
    return {
        "times": times,
        "queries": queries,
        "rendered": body.count(b"data-referral="),
        "bytes": len(body),
    }


def time_selector(coordinator: User, requests: int, page: int) -> dict[str, Any]:
    """Fallback while the inbox page does not exist: time the selector's first page."""
    times, queries = [], []
    rows: list[Referral] = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = list(selectors.inbox(coordinator)[:page])
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    return {"times": times, "queries": queries, "rendered": len(rows), "bytes": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()

    (ROOT / "var").mkdir(exist_ok=True)
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    call_command("migrate", verbosity=0)
    practice, coordinator = fill(args.referrals, args.seed)
    total = Referral.objects.filter(to_organisation=practice).count()
    in_inbox = selectors.inbox(coordinator).count()

    try:
        reverse("referrals:inbox")
    except NoReverseMatch:
        mode = "selector only: the referrals:inbox page does not exist yet"
        result = time_selector(coordinator, args.requests, page=50)
    else:
        mode = "GET /referrals/inbox/ through the real view, as a coordinator with MFA"
        result = time_view(coordinator, args.requests)

    times = result["times"]
    print(f"Measured: {mode}")
    print(f"Referrals in the practice: {total:,}; open in its inbox: {in_inbox:,}")
    print(
        f"Rows rendered per request: {result['rendered']}"
        + (f" ({result['bytes'] / 1024:.0f} KiB of HTML)" if result["bytes"] else "")
    )
    print(f"Requests timed: {len(times)} (after 5 warm-up requests)")
    print(
        f"Server time: median {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
        f"min {min(times):.1f} ms, max {max(times):.1f} ms"
    )
    distinct = sorted(set(result["queries"]))
    print(
        f"SQL queries per request: {', '.join(map(str, distinct))}"
        + ("" if len(distinct) == 1 else " (varies between requests)")
    )
    if result["rendered"] >= in_inbox and in_inbox > 100:
        print("WARNING: the inbox renders every open referral on one page; it should paginate.")


if __name__ == "__main__":
    main()
