"""Restarting the app server under load loses no request: the drill, as a benchmark.

    .venv/bin/python bench/restart.py [--seconds 30] [--threads 8] [--restarts 3]
                                      [--mode reload|upgrade|both]

Starts the bundled gunicorn (gunicorn.conf.py, preloading, 3 workers x 2 threads) on the
test settings against a database of its own (a migrated throwaway SQLite file, or
``DATABASE_URL`` if set: give it a scratch PostgreSQL database), then keeps ``--threads``
clients sending ``GET /readyz`` (which asks the database, the cache and the task queue)
back to back while the server is restarted ``--restarts`` times, ``--seconds / (restarts + 1)``
apart (and as long before the first and after the last), the two ways a deployment restarts it:

``reload``  SIGHUP to the master: new workers start, then the old ones finish what they
            hold and leave (the way to pick up new settings; `TANDEM_MAX_REQUESTS`
            recycling is the same path for one worker);
``upgrade`` SIGUSR2 to the master: a new master is executed from the code on disk and
            inherits the listening socket; then SIGTERM to the old master, whose workers
            finish their requests first (the way to deploy new code with no downtime).

Prints the requests sent, the answers other than 200 and the connection errors (a
"lost" request is either), and the latency median, p99 and worst, overall and in the
two seconds after each restart. Exits non-zero if any request was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 3
PYTHON = Path(sys.executable)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (sent at, ms)
    bad_status: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def sent(self) -> int:
        return len(self.samples) + sum(self.bad_status.values()) + sum(self.errors.values())


def _client(port: int, stop: threading.Event, tally: Tally) -> None:
    while not stop.is_set():
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            response.read()
            elapsed = (time.monotonic() - started) * 1000
            with tally.lock:
                if response.status == 200:
                    tally.samples.append((started, elapsed))
                else:
                    tally.bad_status[response.status] = tally.bad_status.get(response.status, 0) + 1
        except OSError as error:
            with tally.lock:
                name = type(error).__name__
                tally.errors[name] = tally.errors.get(name, 0) + 1
        finally:
            connection.close()


def _wait_until_serving(port: int, server: subprocess.Popen[bytes], deadline: float) -> None:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("gunicorn did not start; run it by hand to see why")
        time.sleep(0.3)


def _read_pid(path: Path, deadline: float, not_equal: int | None = None) -> int:
    while time.monotonic() < deadline:
        try:
            pid = int(path.read_text().strip())
            if pid != not_equal:
                return pid
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"no new master pid in {path}")


def _children(pid: int) -> int:
    """How many processes have `pid` as their parent (read from /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += int(fields[1]) == pid
    return count


def _restart(mode: str, pidfile: Path, workers: int) -> float:
    """Restart the server; return when the old workers were told to stop."""
    master = _read_pid(pidfile, time.monotonic() + 10)
    if mode == "reload":
        os.kill(master, signal.SIGHUP)
        return time.monotonic()
    # upgrade: a new master executed from the code on disk inherits the listening socket and
    # writes its pid to "<pidfile>.2"; once all its workers run, the old master is stopped
    # gracefully (its workers finish the requests they hold) and the new one takes the pidfile.
    os.kill(master, signal.SIGUSR2)
    new_master = _read_pid(Path(f"{pidfile}.2"), time.monotonic() + 120)
    deadline = time.monotonic() + 120
    while _children(new_master) < workers:
        if time.monotonic() > deadline:
            raise SystemExit("the new master's workers did not start")
        time.sleep(0.2)
    switched = time.monotonic()
    os.kill(master, signal.SIGTERM)
    _read_pid(pidfile, time.monotonic() + 120, not_equal=master)
    return switched


def _figures(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<28} no answers"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{label:<28} {len(values):>6} answers   median {statistics.median(values):7.1f} ms"
        f"   p99 {p99:7.1f} ms   worst {ordered[-1]:7.1f} ms"
    )


def run(mode: str, seconds: float, threads: int, restarts: int, database_url: str) -> int:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = Path(tmp) / "gunicorn.pid"
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "tandem.settings.test",
            "DATABASE_URL": database_url or f"sqlite:///{tmp}/db.sqlite3",
            "TANDEM_BIND": f"127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(WORKERS),
        }
        subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(PYTHON.with_name("gunicorn")), "--pid", str(pidfile), "tandem.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_until_serving(port, server, time.monotonic() + 60)
            tally = Tally()
            stop = threading.Event()
            workers = [
                threading.Thread(target=_client, args=(port, stop, tally), daemon=True)
                for _ in range(threads)
            ]
            for worker in workers:
                worker.start()
            # The load runs through every restart (an upgrade takes as long as a start) and
            # `seconds / (restarts + 1)` before, between and after them.
            gap = seconds / (restarts + 1)
            restarted_at: list[float] = []
            for _ in range(restarts):
                time.sleep(gap)
                restarted_at.append(_restart(mode, pidfile, WORKERS))
            time.sleep(gap)
            stop.set()
            for worker in workers:
                worker.join()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)

    lost = sum(tally.bad_status.values()) + sum(tally.errors.values())
    print(f"\n== {mode}: {restarts} restarts under load, {threads} clients, GET /readyz")
    print(f"requests sent {tally.sent()}, lost {lost}", end="")
    details = [f"HTTP {code}: {n}" for code, n in sorted(tally.bad_status.items())]
    details += [f"{name}: {n}" for name, n in sorted(tally.errors.items())]
    print(f" ({', '.join(details)})" if details else "")
    print(_figures("all requests", [ms for _, ms in tally.samples]))
    near = [ms for at, ms in tally.samples if any(0 <= at - r <= 2 for r in restarted_at)]
    print(_figures("within 2 s after a restart", near))
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--mode", choices=["reload", "upgrade", "both"], default="both")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    modes = ["reload", "upgrade"] if args.mode == "both" else [args.mode]
    lost = sum(run(mode, args.seconds, args.threads, args.restarts, database_url) for mode in modes)
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
