"""Configuration from the environment: production refuses unsafe settings and passes check --deploy."""

import json
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from django.core.mail import send_mail

from tandem.settings.base import BASE_DIR, mailer_from_url

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """Return a complete production environment; an override of None removes that variable."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DJANGO_SETTINGS_MODULE": "tandem.settings.prod",
        "SECRET_KEY": "p" * 20 + "-production-secret-key-that-is-long-enough-0123456789",
        "AUDIT_HMAC_KEY": "a" * 16 + "-audit-hmac-key-long-enough",
        "ALLOWED_HOSTS": "tandem.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://tandem.example.org",
        "EMAIL_URL": "smtp+tls://mailer:s3cret@smtp.example.org:587",
        # check does not connect, so the database need not exist.
        "DATABASE_URL": "postgres://tandem@db.example.org:5432/tandem",
        "TANDEM_BASE_URL": "https://tandem.example.org",
        # check does not connect, so Redis need not be running.
        "CACHE_URL": "redis://127.0.0.1:6379/0",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed argv, our own interpreter)
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Production settings -----------------------------------------------------


def test_production_settings_pass_check_deploy_with_no_warnings_at_all(tmp_path):
    env = production_env(tmp_path)

    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"AUDIT_HMAC_KEY": None}, "AUDIT_HMAC_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"TANDEM_DEMO_MODE": "1"}, "demo"),
        ({"EMAIL_URL": None}, "EMAIL_URL"),
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL"),
        ({"EMAIL_URL": "smtp://smtp.example.org:25"}, "EMAIL_URL"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:////tmp/tandem.sqlite3"}, "DATABASE_URL"),
        ({"TANDEM_BASE_URL": None}, "TANDEM_BASE_URL"),
        ({"TANDEM_BASE_URL": "http://tandem.example.org"}, "TANDEM_BASE_URL"),
        ({"CACHE_URL": None}, "CACHE_URL"),
        ({"CACHE_URL": "locmemcache://tandem"}, "CACHE_URL"),
        ({"CACHE_URL": "dbcache://tandem_cache"}, "CACHE_URL"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
    ],
    ids=[
        "no-secret-key",
        "short-secret-key",
        "no-audit-key",
        "no-allowed-hosts",
        "demo-mode",
        "no-email-url",
        "console-email",
        "smtp-without-tls-to-remote-host",
        "no-database-url",
        "sqlite-database",
        "no-base-url",
        "plain-http-base-url",
        "no-cache-url",
        "per-process-memory-cache",
        "database-cache",
        "negative-proxy-count",
    ],
)
def test_production_refuses_to_start_without_safe_configuration(tmp_path, overrides, named):
    env = production_env(tmp_path, **overrides)

    result = run_manage(env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/0", "1"]),
        (
            {"CACHE_URL": "rediss://cache.example.org:6380/2", "TRUSTED_PROXY_COUNT": "2"},
            [
                "django.core.cache.backends.redis.RedisCache",
                "rediss://cache.example.org:6380/2",
                "2",
            ],
        ),
    ],
    ids=["same-host-proxy-default", "two-proxies-tls-redis"],
)
def test_production_shares_its_cache_in_redis_and_trusts_the_documented_proxy(
    tmp_path, overrides, expected
):
    env = production_env(tmp_path, **overrides)
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'],"
        " s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )

    result = run_manage(env, "shell", "--no-imports", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


def test_production_accepts_plain_smtp_to_a_relay_on_this_machine(tmp_path):
    env = production_env(tmp_path, EMAIL_URL="smtp://127.0.0.1:25")

    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr


def test_production_settings_harden_cookies_and_transport(tmp_path):
    env = production_env(tmp_path)
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.DEMO_MODE, s.TIME_ZONE,"
        " s.MAILERS['default']['BACKEND'])"
    )

    result = run_manage(env, "shell", "--no-imports", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "63072000",
        "True",
        "True",
        "__Host-sessionid",
        "False",
        "America/New_York",
        SMTP_BACKEND,
    ]


def test_time_zone_and_log_level_come_from_the_environment(tmp_path):
    env = production_env(tmp_path, TIME_ZONE="America/Chicago", LOG_LEVEL="warning")
    code = "from django.conf import settings as s; print(s.TIME_ZONE, s.LOG_LEVEL)"

    result = run_manage(env, "shell", "--no-imports", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["America/Chicago", "WARNING"]


def test_development_settings_run_with_no_environment_at_all(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tandem.settings.dev",
    }
    code = "from django.conf import settings as s; print(s.DEBUG, s.DEMO_MODE, s.ALLOWED_HOSTS)"

    result = run_manage(env, "shell", "--no-imports", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True ['127.0.0.1', 'localhost']"


# --- EMAIL_URL -----------------------------------------------------------------


def test_mailer_from_smtp_tls_url_carries_host_port_credentials_and_tls():
    mailer = mailer_from_url(
        "smtp+tls://mailer%40tandem.example.org:p%40ss%3Aword@smtp.example.org:587"
    )

    assert mailer == {
        "BACKEND": SMTP_BACKEND,
        "OPTIONS": {
            "host": "smtp.example.org",
            "port": 587,
            "username": "mailer@tandem.example.org",
            "password": "p@ss:word",
            "use_tls": True,
            "timeout": 10,
        },
    }


@pytest.mark.parametrize("scheme", ["smtp+ssl", "smtps"])
def test_mailer_from_implicit_tls_url_uses_ssl_not_starttls(scheme):
    mailer = mailer_from_url(f"{scheme}://user:pw@smtp.example.org:465")

    assert mailer["OPTIONS"] == {
        "host": "smtp.example.org",
        "port": 465,
        "username": "user",
        "password": "pw",
        "use_ssl": True,
        "timeout": 10,
    }


def test_mailer_from_console_url_has_no_smtp_options():
    assert mailer_from_url("consolemail://") == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend",
        "OPTIONS": {},
    }


class _SmtpSink(socketserver.StreamRequestHandler):
    """Speak just enough SMTP to accept one message and keep its raw bytes."""

    received: list[dict[str, object]]

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        envelope: dict[str, object] = {"to": []}
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 sink")
            elif verb == "MAIL":
                envelope["from"] = command.split(":", 1)[1].strip(" <>")
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                envelope["data"] = data
                self.server.received.append(envelope)
                envelope = {"to": []}
                self.reply("250 queued")
            elif verb in {"RSET", "NOOP"}:
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_sink() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_mail_goes_out_over_smtp_as_configured_by_email_url(settings, smtp_sink):
    port = smtp_sink.server_address[1]
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{port}")}

    sent = send_mail(
        "Your Tandem sign-in link",
        "Open Tandem to continue.",
        "Tandem <no-reply@tandem.example.org>",
        ["therapist@example.org"],
    )

    assert sent == 1
    assert len(smtp_sink.received) == 1
    envelope = smtp_sink.received[0]
    assert envelope["from"] == "no-reply@tandem.example.org"
    assert envelope["to"] == ["therapist@example.org"]
    message = message_from_bytes(envelope["data"])
    assert message["Subject"] == "Your Tandem sign-in link"
    assert message.get_payload(decode=True).decode().strip() == "Open Tandem to continue."


def test_production_logs_json_and_keeps_sessions_in_the_database_behind_the_cache(tmp_path):
    env = production_env(tmp_path)
    code = (
        "import logging, json;"
        "from django.conf import settings as s;"
        "h = next(h for h in logging.getLogger().handlers if h.get_name() == 'console');"
        "print(type(h.formatter).__name__, s.SESSION_ENGINE);"
        "logging.getLogger('tandem.probe').warning('started')"
    )

    result = run_manage(env, "shell", "--no-imports", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "JsonFormatter",
        "django.contrib.sessions.backends.cached_db",
    ]
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "tandem.probe",
        "started",
    )
