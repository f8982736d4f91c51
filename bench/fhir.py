"""Drive the FHIR API's ServiceRequest read and search through the production server.

Run from the repository root, against a server started with TANDEM_BENCH=1 on a
database built by ``manage.py seed_scale`` (see bench/README.md, "The FHIR API"):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_fhirbench \\
    AUDIT_HMAC_KEY=<the server's> \\
        .venv/bin/python bench/fhir.py [--base http://127.0.0.1:8000] [--seconds 10] \\
        [--threads 4] [--rounds 2]

It opens the seeded database once (tandem.settings.dev) to register a system client
for the first psychiatric practice, acting through its first coordinator (the
practice's referral inbox: every referral sent to it), exactly as
``manage.py add_fhir_client`` does, and to choose referral ids and a client with
referrals there. It then gets a token over HTTP (client credentials,
``system/ServiceRequest.read``) and, for ``--rounds`` interleaved rounds, requests
each interaction with ``--threads`` threads for ``--seconds`` seconds:

- read: ``GET /fhir/ServiceRequest/<id>``, cycling through 200 of the practice's referrals;
- search: ``GET /fhir/ServiceRequest?_count=50`` (and ``_count=10``, to show how a
  page's cost grows with its size), with ``status=active``, and with ``patient``.

The bare ``/bench/hello`` is measured beside them, as the machine's own yardstick (on a
shared machine its req/s says how busy the rest of it was). Per interaction it prints
requests per second, the median and p95 latency as the
client saw it (the whole round trip) and as the server measured it (``X-Server-Ms``:
inside Django), errors (any answer but 200), the SQL queries per request
(``X-Query-Count``; a range when not constant) and how many resources a page held
out of its ``total``. The median of the rounds for each. Every read is audited, as
in production: the audit trail grows while it runs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import percentile, run_threads  # noqa: E402 - the load bench's, beside this file


@dataclass(frozen=True)
class Interaction:
    name: str
    paths: list[str]  # cycled through, one per request


@dataclass
class Sample:
    latency_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    entries: set[tuple[int, int]] = field(default_factory=set)  # (page size, total)
    ok: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Figures:
    rps: float
    p50: float
    p95: float
    server_p50: float
    server_p95: float
    errors: int
    queries: str
    entries: str


def prepare(database_url: str) -> tuple[str, str, list[str], str]:
    """Register a system client; return its client id, secret, referral ids and a patient id."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
    # deferred: Django is set up here, once DATABASE_URL is known
    import django

    django.setup()
    from django.db.models import Count

    from tandem.accounts.models import User
    from tandem.demo import scale
    from tandem.fhir.actions import register_system_client
    from tandem.referrals.models import Referral

    coordinator = User.objects.get(email=scale.email("coordinator", 1, 1))
    practice = coordinator.memberships.get().organisation
    inbox = Referral.objects.filter(to_organisation=practice).exclude(status="draft")
    ids = [str(i) for i in inbox.order_by("pk").values_list("public_id", flat=True)[:200]]
    if not ids:
        raise SystemExit("No referral in the practice's inbox: run manage.py seed_scale first.")
    busiest = inbox.values("client__public_id").annotate(n=Count("pk")).order_by("-n").first() or {}
    credentials = register_system_client(
        actor=None,
        organisation=practice,
        acting_user=coordinator,
        name="FHIR bench",
        scopes="system/ServiceRequest.read",
    )
    print(
        f"system client for {practice.name} acting through {coordinator.email}: "
        f"{inbox.count()} referrals in its inbox"
    )
    return (
        credentials.client_id,
        credentials.client_secret,
        ids,
        str(busiest.get("client__public_id", "")),
    )


def headers(host: str, token: str = "") -> dict[str, str]:
    out = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def get_token(base: str, host: str, client_id: str, secret: str) -> str:
    answer = requests.post(
        f"{base}/fhir/auth/token",
        data={"grant_type": "client_credentials", "scope": "system/ServiceRequest.read"},
        auth=(client_id, secret),
        headers=headers(host),
        timeout=60,
    )
    if answer.status_code != 200:
        raise SystemExit(f"The token endpoint answered {answer.status_code}: {answer.text[:200]}")
    return str(answer.json()["access_token"])


def interactions(ids: list[str], patient: str) -> list[Interaction]:
    search = "/fhir/ServiceRequest?_count="
    return [
        Interaction("hello-world (no database)", ["/bench/hello"]),
        Interaction("read ServiceRequest/<id>", [f"/fhir/ServiceRequest/{i}" for i in ids]),
        Interaction("search _count=10", [f"{search}10"]),
        Interaction("search _count=50", [f"{search}50"]),
        Interaction("search _count=50&status=active", [f"{search}50&status=active"]),
        Interaction("search _count=50&patient=<id>", [f"{search}50&patient={patient}"]),
    ]


def hammer(
    base: str, host: str, token: str, interaction: Interaction, seconds: float, threads: int
) -> tuple[Sample, float]:
    sample = Sample()
    lock = threading.Lock()
    paths = itertools.cycle(interaction.paths)
    stop = time.perf_counter() + seconds

    def work() -> None:
        http = requests.Session()
        http.trust_env = False
        sent = headers(host, token)
        while time.perf_counter() < stop:
            with lock:
                path = next(paths)
            started = time.perf_counter()
            try:
                response = http.get(base + path, headers=sent, allow_redirects=False, timeout=60)
            except requests.RequestException:
                with lock:
                    sample.errors += 1
                continue
            took = (time.perf_counter() - started) * 1000
            entries = None
            if response.status_code == 200 and "?" in path:
                body = response.json()
                entries = (len(body.get("entry", [])), int(body.get("total", -1)))
            with lock:
                if response.status_code != 200:
                    sample.errors += 1
                    continue
                sample.ok += 1
                sample.latency_ms.append(took)
                sample.server_ms.append(float(response.headers.get("X-Server-Ms", "nan")))
                if "X-Query-Count" in response.headers:
                    sample.queries.add(int(response.headers["X-Query-Count"]))
                if entries is not None:
                    sample.entries.add(entries)

    return sample, run_threads(work, threads)


def _span(values: set[int]) -> str:
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"  # not constant: worth a look


def figures(sample: Sample, elapsed: float) -> Figures:
    pages = sorted(sample.entries)
    return Figures(
        rps=sample.ok / elapsed,
        p50=percentile(sample.latency_ms, 0.50),
        p95=percentile(sample.latency_ms, 0.95),
        server_p50=percentile(sample.server_ms, 0.50),
        server_p95=percentile(sample.server_ms, 0.95),
        errors=sample.errors,
        queries=_span(sample.queries),
        entries=", ".join(f"{n} of {total}" for n, total in pages) if pages else "1",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the gunicorn address")
    parser.add_argument("--host", default="localhost", help="the Host header (in ALLOWED_HOSTS)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per interaction per round")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url or not os.environ.get("AUDIT_HMAC_KEY"):
        raise SystemExit("Set DATABASE_URL and AUDIT_HMAC_KEY to the server's.")

    client_id, secret, ids, patient = prepare(database_url)
    token = get_token(args.base, args.host, client_id, secret)
    chosen = interactions(ids, patient)
    for interaction in chosen:  # warm every worker on every interaction
        hammer(args.base, args.host, token, interaction, 1.0, args.threads)

    rounds: list[dict[str, Figures]] = []
    for number in range(1, args.rounds + 1):
        rounds.append(
            {
                i.name: figures(*hammer(args.base, args.host, token, i, args.seconds, args.threads))
                for i in chosen
            }
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"round {number} done; load average {load}")

    print()
    print(
        f"{args.threads} threads, {args.seconds:g} s per interaction per round, median of "
        f"{args.rounds} interleaved rounds; latency is the client's round trip, server "
        "time is X-Server-Ms (inside Django)"
    )
    print()
    print("| interaction | req/s | p50 ms | p95 ms | server p50 | server p95 | errors "
          "| queries | entries of total |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for interaction in chosen:
        per_round = [r[interaction.name] for r in rounds]

        def median(attr: str, per_round: list[Figures] = per_round) -> float:
            return statistics.median(getattr(f, attr) for f in per_round)

        print(
            f"| {interaction.name} | {median('rps'):.1f} | {median('p50'):.0f} "
            f"| {median('p95'):.0f} | {median('server_p50'):.0f} | {median('server_p95'):.0f} "
            f"| {sum(f.errors for f in per_round)} | {per_round[-1].queries} "
            f"| {per_round[-1].entries} |"
        )


if __name__ == "__main__":
    main()
