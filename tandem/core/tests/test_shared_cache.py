"""Rate limits and one-time codes hold across processes when the cache is Redis (production).

Two separate processes (as two gunicorn workers, or two machines, would be) share one
Redis: a limit counts both processes' uses, and a one-time code accepted by one is
refused by the other. Uses the real Redis on 127.0.0.1:6379 in a database of its own
(``TANDEM_TEST_REDIS_URL`` to move it); runs in the PostgreSQL pass of CI, which has
the production services.
"""

import os
import subprocess
import sys

import pytest
import redis

from tandem.settings.base import BASE_DIR

REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")

# One "process": three contact-form messages from one address, then one TOTP code.
SCRIPT = """
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import RequestFactory
from tandem.core import ratelimit

request = RequestFactory().post("/p/contact/", REMOTE_ADDR="203.0.113.9")
allowed = [ratelimit.consume(request, action="contact_form") for _ in range(3)]
code_accepted = TOTP(Authenticator(user_id=4242))._mark_code_used("123456")
print(",".join("allowed" if a else "refused" for a in allowed), code_accepted)
"""


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def _one_process(cache_url: str) -> list[str]:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tandem.tests.support.service_settings",
        "CACHE_URL": cache_url,
        "DATABASE_URL": "sqlite:///:memory:",  # the cache is the point; no database is read
    }
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), "shell", "--no-imports", "-c", SCRIPT],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.postgres
def test_a_limit_and_a_one_time_code_are_shared_by_two_processes_through_redis(shared_redis):
    # Given the contact form's limit of 5 messages an hour per address (TANDEM_RATE_LIMITS)
    first = _one_process(shared_redis)
    second = _one_process(shared_redis)

    # Then the first process sent 3, the second only 2 more; the code counted once
    assert first == ["allowed,allowed,allowed", "True"]
    assert second == ["allowed,allowed,refused", "False"]


@pytest.mark.postgres
def test_a_per_process_cache_would_multiply_the_limit(shared_redis):
    # The reason production refuses anything but Redis: locmem gives each process its own.
    first = _one_process("locmemcache://")
    second = _one_process("locmemcache://")

    assert first == second == ["allowed,allowed,allowed", "True"]
