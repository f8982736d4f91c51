"""Time the therapists' directory search over 500 practices.

Run from the repository root:

    .venv/bin/python bench/directory.py [--practices 500] [--requests 30] [--profile]

It migrates its own SQLite file (var/bench_directory.sqlite3) unless DATABASE_URL
names another database, seeds once a synthetic network of listed practices
(``tandem.demo.directory_network``: policies, profiles, a prescriber each with weekday
mornings, some away for weeks, measured figures), then GETs the search page as a
therapist with MFA through Django's test client, for the article's case (a 32-year-old
in Massachusetts on a commercial PPO needing a medication evaluation within 4 weeks),
and prints the median and 95th percentile server time and the SQL queries per request.
``--profile`` prints where one request spends its time instead.
See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_directory.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.utils import encrypt  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.core.roles import Role  # noqa: E402
from tandem.demo.directory_network import seed_directory_network  # noqa: E402
from tandem.directory.models import PracticeProfile  # noqa: E402
from tandem.organisations.models import Membership, Organisation, OrganisationKind  # noqa: E402
from tandem.tests.support.http import Client as WebClient  # noqa: E402

THERAPIST_EMAIL = "bench.directory.therapist@bench.tandem.test"
QUERY = {
    "state": "MA",
    "age": "32",
    "payer": "commercial",
    "plan_type": "PPO",
    "service": "medication_management",
    "within_weeks": "4",
}


def therapist() -> User:
    user, _ = User.objects.get_or_create(
        email=THERAPIST_EMAIL, defaults={"full_name": "Bench Therapist"}
    )
    practice, _ = Organisation.objects.get_or_create(
        name="Bench Directory Therapy (synthetic)",
        defaults={"kind": OrganisationKind.THERAPY_PRACTICE, "state": "MA"},
    )
    Membership.objects.get_or_create(user=user, organisation=practice, role=Role.THERAPIST)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")},
        )
    return user


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, round(share * len(ordered))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    (ROOT / "var").mkdir(exist_ok=True)
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    call_command("migrate", verbosity=0)
    have = PracticeProfile.objects.filter(listed=True).count()
    if have < args.practices:
        started = time.perf_counter()
        seed_directory_network(args.practices - have, now=timezone.now(), tag=f"b{have}")
        print(f"Seeded {args.practices - have} practices in {time.perf_counter() - started:.1f} s.")
    listed = PracticeProfile.objects.filter(listed=True).count()
    user = therapist()

    setup_test_environment()
    logging.getLogger("tandem.access").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    browser = WebClient()
    browser.force_login(user)
    url = reverse("directory:search")
    for _ in range(3):  # warm caches (templates, holiday tables) before timing
        assert browser.get(url, QUERY).status_code == 200
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        browser.get(url, QUERY)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return
    times, queries = [], []
    body = b""
    for _ in range(args.requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = browser.get(url, QUERY)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"The search answered {response.status_code}; expected 200.")
        queries.append(len(captured.captured_queries))
        body = response.content
    print("Measured: GET /directory/ (the article's case) as a therapist with MFA")
    print(f"Listed practices searched: {listed}")
    print(f"Results shown: {body.count(b'data-result=')}")
    print(f"Requests timed: {len(times)} (after 3 warm-up requests)")
    print(
        f"Server time: median {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 0.95):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms"
    )
    distinct = sorted(set(queries))
    print(
        f"SQL queries per request: {', '.join(map(str, distinct))}"
        + ("" if len(distinct) == 1 else " (varies between requests)")
    )


if __name__ == "__main__":
    main()
