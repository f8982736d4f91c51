"""How long a request waits when gunicorn recycles a worker, with and without preloading.

    .venv/bin/python bench/worker_recycle.py [--requests 300] [--max-requests 25]

Starts the bundled gunicorn (gunicorn.conf.py, test settings on a throwaway SQLite
database, one worker) twice: TANDEM_PRELOAD=0 and =1, each recycling its worker every
``--max-requests`` requests, and sends the same sequential GET /healthz to each.
Prints the median, p99 and worst latency: without preloading, every recycle makes a
request wait while the new worker imports Django and Tandem.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000


def run(preload: bool, requests: int, max_requests: int) -> list[float]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "tandem.settings.test",
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "TANDEM_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "TANDEM_MAX_REQUESTS": str(max_requests),
            "TANDEM_MAX_REQUESTS_JITTER": "0",
            "TANDEM_PRELOAD": "1" if preload else "0",
        }
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(Path(sys.executable).with_name("gunicorn")), "tandem.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(port)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            return [_get(port) for _ in range(requests)]
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--max-requests", type=int, default=25)
    args = parser.parse_args()
    print(f"{args.requests} sequential GET /healthz, worker recycled every {args.max_requests}")
    print(f"{'preload':<8} {'median ms':>10} {'p99 ms':>10} {'worst ms':>10}")
    for preload in (False, True):
        times = sorted(run(preload, args.requests, args.max_requests))
        p99 = times[int(len(times) * 0.99) - 1]
        print(
            f"{'on' if preload else 'off':<8} {statistics.median(times):>10.1f}"
            f" {p99:>10.1f} {times[-1]:>10.1f}"
        )


if __name__ == "__main__":
    main()
