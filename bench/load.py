"""Drive the busiest journeys through the production server and print, per page, what it costs.

Run from the repository root, against a server started with TANDEM_BENCH=1 on a
database built by ``manage.py seed_scale`` (see bench/README.md for the three commands):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/seed_tenth \\
        .venv/bin/python bench/load.py [--base http://127.0.0.1:8000] [--seconds 8] \\
        [--threads 4] [--rounds 3]

It reads the seeded database once (tandem.settings.dev, read only) to choose the
people and the objects: the first psychiatric practice's first prescriber,
coordinator and admin, and a referral of that practice whose client is in care,
with its therapist and client. It signs each person in over HTTP as a browser
does: the password form, then the second factor with the current TOTP code
(computed from the account's secret like ``manage.py demo_code``). Then, for
``--rounds`` rounds, each page in turn (interleaved, the bare hello-world page
among them) is requested by ``--threads`` threads for ``--seconds`` seconds.

Per page it prints the SQL queries per request (the server's ``X-Query-Count``),
the server time's p50/p95/p99 (``X-Server-Ms``: inside Django, middleware
included), requests per second, errors (any answer but 200, or no answer), and
the page's share of hello-world's requests per second in the same round: the
median of the rounds for each. A driver of threads over ``requests`` (already a
dependency of the project through stripe): locust is not installed here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # a key of the signed-in sessions, or "" for no session
    path: str


@dataclass
class Sample:
    server_ms: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    ok: int = 0
    errors: int = 0


@dataclass
class Target:
    """One server and its database: the people signed in there, and each round's figures."""

    label: str
    base: str
    logins: dict[str, tuple[str, str]]
    objects: dict[str, str]
    sessions: dict[str, dict[str, str]] = field(default_factory=lambda: {"": {}})
    chosen: list[Page] = field(default_factory=list)
    rounds: list[dict[str, Figures]] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    queries: str
    p50: float
    p95: float
    p99: float
    rps: float
    errors: int


# --- What to ask for -----------------------------------------------------------------------


def choose(database_url: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Return the logins {role: (email, totp secret)} and the object paths, from the database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
    # deferred: Django is set up here, for the lookup, after DATABASE_URL is known
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    from tandem.accounts.models import User
    from tandem.clients.models import CareTeamMember
    from tandem.demo import scale
    from tandem.referrals.models import Referral, ReferralStatus

    prescriber = User.objects.get(email=scale.email("prescriber", 1, 1))
    coordinator = User.objects.get(email=scale.email("coordinator", 1, 1))
    admin = User.objects.get(email=scale.email("admin", 1, 1))
    practice = prescriber.memberships.get().organisation
    in_care = CareTeamMember.objects.filter(
        organisation=practice, role="prescriber", ended_on__isnull=True
    ).values("client_id")
    referral = (
        Referral.objects.filter(to_organisation=practice, client_id__in=in_care)
        .exclude(status="draft")
        .select_related("therapist", "client")
        .order_by("pk")
        .first()
    )
    # The detail page's referral is one waiting for triage (sent): its page carries the
    # coordinator's accept, decline, ask-for-information and forward forms, the heaviest
    # state of the page and the one a coordinator opens most. The same state at every
    # size, so a growth figure compares the same page (the first referral above was a
    # sent one at a tenth and a finished one at the full network).
    triage = (
        Referral.objects.filter(
            to_organisation=practice, client_id__in=in_care, status=ReferralStatus.SENT
        )
        .order_by("pk")
        .first()
    )
    if referral is None or triage is None:
        raise SystemExit("No referral of a client in care: run manage.py seed_scale first.")

    def login(user: User) -> tuple[str, str]:
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        return user.email, decrypt(totp.data["secret"])

    logins = {
        "prescriber": login(prescriber),
        "coordinator": login(coordinator),
        "therapist": login(referral.therapist),
        "admin": login(admin),
    }
    objects = {
        "referral": str(triage.public_id),
        "client": str(referral.client.public_id),
    }
    return logins, objects


def pages(objects: dict[str, str]) -> list[Page]:
    return [
        Page("hello-world (ratio base)", "", "/bench/hello"),
        Page("signed-in, empty (therapist)", "therapist", "/bench/signed-in"),
        Page("dashboard (prescriber)", "prescriber", "/dashboard/"),
        Page("referral inbox (coordinator)", "coordinator", "/referrals/inbox/"),
        Page("referral detail (coordinator)", "coordinator", f"/referrals/{objects['referral']}/"),
        Page("therapist tracker", "therapist", "/referrals/"),
        Page("registry, default sort", "prescriber", "/measures/registry/"),
        Page("registry sorted by latest", "prescriber", "/measures/registry/?sort=-latest"),
        Page(
            "client timeline (therapist)",
            "therapist",
            f"/care/clients/{objects['client']}/timeline/",
        ),
        Page("audit search (admin)", "admin", "/audit/"),
        Page("/healthz", "", "/healthz"),
    ]


# --- Talking to the server like a browser behind the HTTPS proxy ---------------------------


class Browser:
    """A session's cookies, sent by hand: the production cookies are ``Secure`` and the
    benchmark talks plain HTTP to gunicorn, as the HTTPS proxy on the host would."""

    def __init__(self, base: str, host: str) -> None:
        self.base = base
        self.host = host
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        self.http.trust_env = False

    def headers(self, referer: str = "") -> dict[str, str]:
        headers = {
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if referer:
            headers["Referer"] = f"https://{self.host}{referer}"
            headers["Origin"] = f"https://{self.host}"
        return headers

    def _keep(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def get(self, path: str) -> requests.Response:
        response = self.http.get(
            self.base + path, headers=self.headers(), allow_redirects=False, timeout=60
        )
        self._keep(response)
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        response = self.http.post(
            self.base + path,
            data=data,
            headers=self.headers(referer=path),
            allow_redirects=False,
            timeout=60,
        )
        self._keep(response)
        return response


_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _token(page: requests.Response) -> str:
    match = _TOKEN.search(page.text)
    if match is None:
        raise SystemExit(f"No form on {page.url} (HTTP {page.status_code}).")
    return match.group(1)


def totp_now(secret: str) -> str:
    # deferred: allauth's own TOTP, imported after django.setup() in choose()
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(base: str, host: str, email: str, secret: str, password: str) -> dict[str, str]:
    """Sign in with password and TOTP code through the real forms; return the session cookies."""
    browser = Browser(base, host)
    form = browser.get("/accounts/login/")
    answer = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": _token(form), "login": email, "password": password},
    )
    if answer.status_code != 302 or not answer.headers["Location"].endswith("/2fa/authenticate/"):
        raise SystemExit(f"{email}: the password step answered {answer.status_code}.")
    second = urlsplit(answer.headers["Location"]).path
    for attempt in range(3):
        form = browser.get(second)
        # A code is good once per 30 s window: wait for a fresh window if this one is nearly
        # over, or if the code was spent (another sign-in of the same person, e.g.
        # bench/profile_page.py, in this window).
        if attempt or 30 - time.time() % 30 < 3:
            time.sleep(30 - time.time() % 30 + 0.5)
        code = {"csrfmiddlewaretoken": _token(form), "code": totp_now(secret)}
        answer = browser.post(second, code)
        if answer.status_code == 302 and "/2fa/" not in answer.headers.get("Location", ""):
            return browser.cookies
    raise SystemExit(f"{email}: the second factor answered {answer.status_code}.")


# --- Load ---------------------------------------------------------------------------------


def hammer(base: str, host: str, page: Page, cookies: dict[str, str], seconds: float,
           threads: int, close: bool = False) -> tuple[Sample, float]:  # fmt: skip
    """Request ``page`` from ``threads`` threads for ``seconds``; ``close`` asks for a new
    connection each time (as a proxy without upstream keep-alive does) instead of keeping
    each thread's connection, and so its gunicorn worker, for the whole run."""
    sample = Sample()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def work() -> None:
        browser = Browser(base, host)
        browser.cookies = dict(cookies)
        while time.perf_counter() < stop:
            try:
                headers = browser.headers()
                if close:
                    headers["Connection"] = "close"
                response = browser.http.get(
                    base + page.path, headers=headers, allow_redirects=False, timeout=60
                )
            except requests.RequestException:
                with lock:
                    sample.errors += 1
                continue
            with lock:
                if response.status_code == 200:
                    sample.ok += 1
                    sample.server_ms.append(float(response.headers.get("X-Server-Ms", "nan")))
                    if "X-Query-Count" in response.headers:
                        sample.queries.add(int(response.headers["X-Query-Count"]))
                else:
                    sample.errors += 1

    return sample, run_threads(work, threads)


def run_threads(work: Callable[[], None], threads: int) -> float:
    """Run ``work`` in ``threads`` threads at once; return the seconds until all are done."""
    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, round(share * len(ordered)) - 1)]


def figures(sample: Sample, elapsed: float) -> Figures:
    queries = sorted(sample.queries)
    if not queries:
        label = "n/a"
    elif queries[0] == queries[-1]:
        label = str(queries[0])
    else:
        label = f"{queries[0]}-{queries[-1]}"  # not constant: worth a look
    return Figures(
        queries=label,
        p50=percentile(sample.server_ms, 0.50),
        p95=percentile(sample.server_ms, 0.95),
        p99=percentile(sample.server_ms, 0.99),
        rps=sample.ok / elapsed,
        errors=sample.errors,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the gunicorn address")
    parser.add_argument("--host", default="localhost", help="the Host header (in ALLOWED_HOSTS)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per page per round")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument(
        "--smaller",
        default="",
        metavar="DATABASE_URL@BASE",
        help="a second server on a smaller seeded database, measured in the same rounds\n"
        "(alternating which size goes first); prints each size and the growth to this one",
    )
    parser.add_argument(
        "--close",
        action="store_true",
        help="a new connection per request (a proxy without upstream keep-alive)",
    )
    parser.add_argument("--print-choice", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise SystemExit("Set DATABASE_URL to the seeded database (the server's).")
    if args.print_choice:  # the --smaller database's people, read in a process of its own
        print(json.dumps(choose(database_url)))
        return

    targets = [Target("", args.base, *choose(database_url))]
    if args.smaller:
        other_url, _, other_base = args.smaller.rpartition("@")
        if not other_url or not other_base.startswith("http"):
            raise SystemExit(
                "--smaller takes DATABASE_URL@BASE, e.g. postgres://…/tenth@http://127.0.0.1:8001"
            )
        chosen_there = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, __file__, "--print-choice"],
            env={**os.environ, "DATABASE_URL": other_url, "DJANGO_SETTINGS_MODULE": "tandem.settings.dev"},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        logins, objects = json.loads(chosen_there)
        targets = [
            Target("larger", args.base, targets[0].logins, targets[0].objects),
            Target("smaller", other_base, logins, objects),
        ]
    # deferred: after django.setup() in choose()
    from tandem.demo.practice import DEMO_PASSWORD

    for target in targets:
        for role, (email, secret) in target.logins.items():
            target.sessions[role] = sign_in(target.base, args.host, email, secret, DEMO_PASSWORD)
            where = f" on the {target.label} database" if target.label else ""
            print(f"signed in as the {role}{where} (password + TOTP)")
        target.chosen = [
            p for p in pages(target.objects) if p.name.startswith("hello") or args.only in p.name
        ]
        # Warm every worker on every page first: the first request of a process imports a lot.
        for page in target.chosen:
            hammer(
                target.base, args.host, page, target.sessions[page.who], 1.0, args.threads,
                args.close,
            )  # fmt: skip

    for number in range(1, args.rounds + 1):
        order = targets if number % 2 else targets[::-1]
        for target in order:
            measured: dict[str, Figures] = {}
            for page in target.chosen:
                sample, elapsed = hammer(
                    target.base, args.host, page, target.sessions[page.who], args.seconds,
                    args.threads, args.close,
                )  # fmt: skip
                measured[page.name] = figures(sample, elapsed)
            target.rounds.append(measured)
            hello = measured[target.chosen[0].name].rps
            print(
                f"round {number}{' ' + target.label if target.label else ''}: hello-world {hello:.0f} req/s"
            )

    print()
    print(f"{args.threads} threads, {args.seconds:g} s per page per round, median of "
          f"{args.rounds} interleaved rounds; server time is X-Server-Ms (inside Django)"
          f"{'; a new connection per request' if args.close else ''}")  # fmt: skip
    for target in targets:
        print()
        if target.label:
            print(f"{target.label} ({target.base})")
        print(
            "| page | queries | p50 ms | p95 ms | p99 ms | req/s | errors | share of hello-world |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for page in target.chosen:
            per_round = [r[page.name] for r in target.rounds]
            base = target.chosen[0].name
            shares = [r[page.name].rps / r[base].rps for r in target.rounds if r[base].rps]
            print(
                f"| {page.name} | {per_round[-1].queries} "
                f"| {statistics.median(f.p50 for f in per_round):.1f} "
                f"| {statistics.median(f.p95 for f in per_round):.1f} "
                f"| {statistics.median(f.p99 for f in per_round):.1f} "
                f"| {statistics.median(f.rps for f in per_round):.1f} "
                f"| {sum(f.errors for f in per_round)} "
                f"| {100 * statistics.median(shares):.1f}% |"
            )
    if len(targets) == 2:
        larger, smaller = targets
        print()
        print("growth, larger / smaller (medians of the rounds)")
        print("| page | p50 | p95 | req/s |")
        print("|---|---|---|---|")
        for page in larger.chosen:
            big = [r[page.name] for r in larger.rounds]
            small = [r[page.name] for r in smaller.rounds]

            print(f"| {page.name} | {growth(big, small, 'p50')} | {growth(big, small, 'p95')} "
                  f"| {growth(big, small, 'rps')} |")  # fmt: skip


def growth(larger: list[Figures], smaller: list[Figures], figure: str) -> str:
    """The median of a figure over the larger database's rounds, over the smaller's."""
    below = statistics.median(getattr(f, figure) for f in smaller)
    above = statistics.median(getattr(f, figure) for f in larger)
    return f"{above / below:.2f}x" if below else "n/a"


if __name__ == "__main__":
    main()
