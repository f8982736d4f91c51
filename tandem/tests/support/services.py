"""Real processes and a real mail relay for the reliability drills (PostgreSQL only).

``start_worker`` runs ``manage.py db_worker`` as its own process against the test's
database; ``MailRelay`` speaks enough SMTP to accept messages, and can stall one
mid-delivery (the worker then hangs inside the send, where a drill kills it).
"""

from __future__ import annotations

import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess that shares this test's PostgreSQL database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "tandem.tests.support.service_settings",
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` as its own process against this test's database; return its result."""
    return subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=service_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start_worker(*args: str, **env: str) -> subprocess.Popen[str]:
    """Start ``manage.py db_worker`` (as scripts/serve-production does) in the background."""
    return subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "default", *args],
        env=service_env(**env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class _Session(socketserver.StreamRequestHandler):
    server: _RelayServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        to: list[str] = []
        self.reply("220 relay ready")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 relay")
            elif verb == "MAIL":
                to = []
                self.reply("250 ok")
            elif verb == "RCPT":
                to.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                if self.server.should_stall():
                    # Never answer: the sender hangs inside its send; nothing was accepted.
                    self.server.stalled.set()
                    self.server.release.wait(120)
                    return
                with self.server.lock:
                    self.server.accepted.append((to, message_from_bytes(data)))
                self.reply("250 queued")
            elif verb in {"RSET", "NOOP"}:
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _RelayServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, stall_at: int | None) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.lock = threading.Lock()
        self.accepted: list[tuple[list[str], Any]] = []
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._seen = 0

    def should_stall(self) -> bool:
        with self.lock:
            self._seen += 1
            return self.stall_at is not None and self._seen == self.stall_at

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


@contextmanager
def mail_relay(*, stall_at: int | None = None) -> Iterator[_RelayServer]:
    """A local SMTP relay; with ``stall_at=n`` it never answers the n-th message's DATA."""
    server = _RelayServer(stall_at)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
