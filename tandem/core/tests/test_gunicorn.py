"""The bundled production server starts, serves Tandem, and logs no tokens or query strings."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("X-Request-ID", "")
    finally:
        connection.close()


def test_gunicorn_serves_the_health_check_and_logs_only_the_path(tmp_path):
    # Given gunicorn started the way the README says, with this repository's settings file
    port = _free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tandem.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TANDEM_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter's gunicorn, fixed arguments
        [str(Path(sys.executable).with_name("gunicorn")), "tandem.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # When a request with a query string, and one with a reset-link-like token, reach it
        # (a generous wait for the first answer: on a loaded machine gunicorn's start and the
        # first request's imports take a while; this bounds a hang, it measures nothing)
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body, request_id = _get(port, "/healthz?email=qz@example.test")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        missing, _, _ = _get(port, "/no-such-page/qz1-c9v5k2-0123456789abcdefqzsecretcanary/")
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=30)

    # Then Tandem answers, and the log has one redacted access line per request
    assert (status, body, missing) == (200, b"ok", 404)
    assert f"[{request_id}] GET /healthz 200" in log
    assert "GET /no-such-page/<redacted>/ 404" in log
    assert "qzsecretcanary" not in log
    assert "qz@example.test" not in log
