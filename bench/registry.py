"""Time the caseload registry page for 2,000 active clients with 20 responses each.

Run from the repository root:

    .venv/bin/python bench/registry.py [--clients 2000] [--responses 20] [--requests 50] [--query sort=-latest]

It migrates its own SQLite file (var/bench_registry.sqlite3) unless DATABASE_URL
names another database, builds once a synthetic psychiatric practice whose one
prescriber sits on the care team of every client, each client with N PHQ-9s a
week apart (some improving, some not, one in fifty with item 9 above 0) and a
GAD-7 cadence (some overdue), then GETs ``/measures/registry/`` through Django's
test client (middleware, access policy, selectors, template) and prints the
server time's median and p95 over the timed requests and the SQL queries per
request. The rows stay between runs; delete the file to start again.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_registry.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.utils import encrypt  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.clients.models import CareTeamMember, Client  # noqa: E402
from tandem.core.roles import Role  # noqa: E402
from tandem.measures.instruments import INSTRUMENTS  # noqa: E402
from tandem.measures.models import MeasureSchedule, QuestionnaireResponse  # noqa: E402
from tandem.organisations.models import Membership, Organisation, OrganisationKind  # noqa: E402
from tandem.tests.support.http import Client as WebClient  # noqa: E402

NAME = "Bench Registry Psychiatry (synthetic)"
EMAIL = "bench.registry.prescriber@example.invalid"


def build(clients: int, responses: int) -> User:
    """Return the prescriber, building the practice and its caseload on the first run."""
    org = Organisation.objects.filter(name=NAME).first()
    if org is not None:
        return User.objects.get(email=EMAIL)
    rng = random.Random(7)
    phq9 = INSTRUMENTS["phq-9"]
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        org = Organisation.objects.create(kind=OrganisationKind.PSYCHIATRIC_PRACTICE, name=NAME)
        prescriber = User.objects.create_user(email=EMAIL, full_name="Bench Prescriber")
        Membership.objects.create(user=prescriber, organisation=org, role=Role.PRESCRIBER)
        Authenticator.objects.create(
            user=prescriber, type=Authenticator.Type.TOTP,
            data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")},
        )  # fmt: skip
        people = Client.objects.bulk_create(
            Client(first_name=f"Bench{i:04d}", last_name="Synthetic", date_of_birth=dt.date(1990, 1, 1))
            for i in range(clients)
        )  # fmt: skip
        CareTeamMember.objects.bulk_create(
            CareTeamMember(client=c, user=prescriber, organisation=org, role=Role.PRESCRIBER)
            for c in people
        )
        rows = []
        for c in people:
            start = rng.randint(5, 22)
            improving = rng.random() < 0.6
            for week in range(responses):
                total = max(0, start - (week if improving else week // 4) + rng.randint(-1, 1))
                total = min(total, 27)
                item9 = 1 if (week == responses - 1 and rng.random() < 0.02) else 0
                answers = [min(3, max(0, total - 3 * k)) for k in range(8)]
                answers[0] += max(0, total - sum(answers) - item9)
                answers[0] = min(answers[0], 3)
                answers.append(item9)
                result = phq9.score(answers)
                rows.append(
                    QuestionnaireResponse(
                        client=c, instrument="phq-9", instrument_version=phq9.version,
                        answers=answers, total=result.total, band=result.band or "",
                        positive=result.positive, flags=list(result.flags), complete=True,
                        source="clinician", organisation=org, entered_by=prescriber,
                        entered_at=now - dt.timedelta(weeks=responses - 1 - week),
                        idempotency_key=str(uuid.uuid4()),
                    )
                )  # fmt: skip
        QuestionnaireResponse.objects.bulk_create(rows, batch_size=2000)
        MeasureSchedule.objects.bulk_create(
            MeasureSchedule(
                client=c, instrument="gad-7", every_days=14, organisation=org, set_by=prescriber,
                next_due=today + dt.timedelta(days=rng.randint(-10, 14)),
            )
            for c in people
        )  # fmt: skip
    print(
        f"Built {clients} clients and {len(rows)} responses in {time.perf_counter() - started:.1f} s"
    )
    return prescriber


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--responses", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--query", default="", help='query string, e.g. "sort=-latest" (every row scored)'
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    prescriber = build(args.clients, args.responses)
    setup_test_environment()  # lets the test client's "testserver" host through ALLOWED_HOSTS
    logging.getLogger("tandem.access").setLevel(logging.WARNING)
    browser = WebClient()
    browser.force_login(prescriber)
    url = "/measures/registry/" + (f"?{args.query}" if args.query else "")
    for _ in range(3):
        assert browser.get(url).status_code == 200
    times, queries = [], set()
    body = ""
    for _ in range(args.requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = browser.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.add(len(captured.captured_queries))
        body = response.content.decode()
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    active = CareTeamMember.objects.filter(user=prescriber, ended_on__isnull=True).count()
    print(f"Database: {connection.vendor}")
    print(
        f"Active clients in the registry: {active}; responses stored: "
        f"{QuestionnaireResponse.objects.filter(client__care_team__user=prescriber).count()}"
    )
    print(f"Rows rendered per page: {body.count('href="/measures/clients/')}")
    print(
        f"Server time over {len(times)} requests: median {statistics.median(times):.0f} ms, "
        f"p95 {p95:.0f} ms (min {times[0]:.0f}, max {times[-1]:.0f})"
    )
    print(f"SQL queries per request: {', '.join(str(q) for q in sorted(queries))}")


if __name__ == "__main__":
    main()
