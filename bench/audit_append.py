"""Audit appends per second from concurrent writers: one practice's chain, or one each.

Run from the repository root against a PostgreSQL database of its own (row locks are
what this measures; SQLite serialises every writer anyway):

    createdb -h 127.0.0.1 -U postgres tandem_bench_audit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench_audit \\
        .venv/bin/python bench/audit_append.py [--threads 8] [--appends 200] [--hold-ms 5]

Each of ``--threads`` threads (its own connection) records ``--appends`` events, each in
its own transaction that stays open ``--hold-ms`` after the append, as an action's
transaction does while it finishes its other writes. It runs twice: every thread writing
for the same practice (one chain: the writers take turns, as every writer did when there
was one chain for the whole deployment), then each thread for its own practice (one chain
each). It prints appends per second and the median and p95 time one append waited, then
checks the trail with verify_audit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tandem.audit.actions import record  # noqa: E402
from tandem.audit.models import AuditAction  # noqa: E402


def run(threads: int, appends: int, hold: float, *, shared: bool, tag: str) -> None:
    waits: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def writer(n: int) -> None:
        practice = f"bench-{tag}-shared" if shared else f"bench-{tag}-{n}"
        mine: list[float] = []
        try:
            barrier.wait()
            for i in range(appends):
                with transaction.atomic():
                    began = time.perf_counter()
                    record(actor=None, action=AuditAction.UPDATE, organisation=practice,
                           object_id=f"bench-{i}")  # fmt: skip
                    mine.append(time.perf_counter() - began)
                    time.sleep(hold)
        finally:
            connection.close()
            with lock:
                waits.extend(mine)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    waits.sort()
    label = "one practice (one chain)" if shared else f"{threads} practices (a chain each)"
    print(
        f"{label:32} {len(waits) / elapsed:8.0f} appends/s   append median "
        f"{statistics.median(waits) * 1000:6.1f} ms  p95 {waits[int(len(waits) * 0.95)] * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--hold-ms", type=float, default=5.0)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Give DATABASE_URL a PostgreSQL database of its own (see the docstring).")
    call_command("migrate", verbosity=0)
    tag = str(int(time.time()))
    print(f"{args.threads} threads x {args.appends} appends, {args.hold_ms} ms held after each")
    run(args.threads, args.appends, args.hold_ms / 1000, shared=True, tag=tag)
    run(args.threads, args.appends, args.hold_ms / 1000, shared=False, tag=tag)
    call_command("verify_audit")


if __name__ == "__main__":
    main()
