"""Profile one page of the load benchmark in process: where its server time goes.

Run from the repository root with the server of bench/README.md step 2 running (its
environment exported: production settings, ``TANDEM_BENCH=1``, the same database,
cache and keys), on a database built by ``manage.py seed_scale``:

    .venv/bin/python bench/profile_page.py "registry, default sort" [--requests 50] [--top 25]

It signs the page's person in through the running server exactly as bench/load.py
does (password, then the TOTP code), then requests the page ``--requests`` times in
this process through Django's own request handler (every middleware, the session and
the audit append included; no network, no gunicorn) under ``cProfile``, and prints the
functions with the most cumulative and the most own time, and the SQL time beside the
Python time. Nothing here is timed by a test; it is a tool to read before optimising.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="a page name as bench/load.py prints it")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", default="", help="also save the profile here (for pstats)")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="no profiler: print the median process CPU, wall and SQL time of a request",
    )
    args = parser.parse_args()
    if os.environ.get("DJANGO_SETTINGS_MODULE") != "tandem.settings.prod":
        raise SystemExit("Export the server's environment first (bench/README.md, step 2).")

    from bench.load import choose, pages, sign_in

    logins, objects = choose(os.environ["DATABASE_URL"])
    page = next((p for p in pages(objects) if p.name == args.page), None)
    if page is None:
        raise SystemExit("Pages: " + ", ".join(p.name for p in pages(objects)))
    cookies: dict[str, str] = {}
    if page.who:
        from tandem.demo.practice import DEMO_PASSWORD

        email, secret = logins[page.who]
        # A TOTP code is good once: a run just before may have spent this window's code.
        time.sleep(30 - time.time() % 30 + 0.5)
        cookies = sign_in(args.base, args.host, email, secret, DEMO_PASSWORD)

    # deferred: Django was set up by choose()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=args.host, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="127.0.0.1")
    for name, value in cookies.items():
        client.cookies[name] = value
    warm = client.get(page.path)
    if warm.status_code != 200:
        raise SystemExit(f"{page.path} answered {warm.status_code}.")

    if args.cpu:
        cpu, wall, sql = [], [], []
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as queries:
                began, began_cpu = time.perf_counter(), time.process_time()
                client.get(page.path)
                cpu.append((time.process_time() - began_cpu) * 1000)
                wall.append((time.perf_counter() - began) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        print(
            f"{page.name}: median of {args.requests} requests without the profiler: CPU "
            f"{statistics.median(cpu):.1f} ms, wall {statistics.median(wall):.1f} ms, SQL "
            f"{statistics.median(sql):.1f} ms ({len(queries.captured_queries)} queries)"
        )
        return

    profile = cProfile.Profile()
    sql_ms = 0.0
    per_query: dict[int, float] = {}
    started = time.perf_counter()
    for _ in range(args.requests):
        with CaptureQueriesContext(connection) as queries:
            profile.enable()
            client.get(page.path)
            profile.disable()
        sql_ms += sum(float(q["time"]) for q in queries.captured_queries) * 1000
        for i, q in enumerate(queries.captured_queries):
            per_query[i] = per_query.get(i, 0.0) + float(q["time"]) * 1000
    wall_ms = (time.perf_counter() - started) * 1000 / args.requests
    if args.dump:
        profile.dump_stats(args.dump)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(os.environ.get("PROFILE_FILTER", ""), args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    print("Slowest statements (mean ms, in the order the page runs them):")
    slowest = sorted(per_query, key=per_query.__getitem__, reverse=True)[:5]
    for i in sorted(slowest):
        sql = queries.captured_queries[i]["sql"]
        print(f"  #{i + 1:<3} {per_query[i] / args.requests:6.2f} ms  {sql[:300]}")
    print(
        f"{page.name}: {wall_ms:.1f} ms a request under the profiler, of which SQL "
        f"{sql_ms / args.requests:.1f} ms ({len(queries.captured_queries)} queries)"
    )


if __name__ == "__main__":
    main()
