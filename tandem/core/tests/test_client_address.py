"""Behind the documented same-host proxy, limits and audit rows see the client, not the proxy."""

import uuid

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from django.urls import reverse

from tandem.accounts.tests.helpers import current_code
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.http import client_ip
from tandem.core.roles import Role
from tandem.core.tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory, make_staff
from tandem.intake.models import ContactMessage
from tandem.intake.tests.factories import practice_with_policy
from tandem.tests.support.http import Client

PROXY = "127.0.0.1"
#: A Redis database of its own, and a fresh key prefix per test, so tests never collide.
REDIS_URL = "redis://127.0.0.1:6379/13"


def via_proxy(address: str) -> dict[str, str]:
    """Return the request environment of a client at ``address`` reaching Tandem through the proxy."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": address}


@pytest.fixture
def behind_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_behind_the_trusted_proxy_the_client_is_the_address_the_proxy_saw(behind_proxy):
    factory = RequestFactory()

    seen = client_ip(factory.get("/", **via_proxy("203.0.113.7")))
    # A client's own X-Forwarded-For entry comes before the one the proxy appends.
    forged = client_ip(
        factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")
    )

    assert seen == "203.0.113.7"
    assert forged == "203.0.113.7"


def test_without_a_configured_proxy_a_forged_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )

    assert client_ip(request) == "203.0.113.7"


def test_trusted_proxy_count_comes_from_the_environment_and_defaults_to_none(settings):
    from django.conf import settings as live

    assert live.TRUSTED_PROXY_COUNT == 0
    assert live.ALLAUTH_TRUSTED_PROXY_COUNT == 0


@pytest.mark.django_db
def test_the_audit_row_of_a_sign_in_names_the_clients_address(behind_proxy):
    person = UserFactory()
    browser = Client()

    browser.post(
        reverse("account_login"),
        {"login": person.email, "password": TEST_PASSWORD},
        **via_proxy("203.0.113.7"),
    )

    login = AuditEvent.objects.get(action=AuditAction.LOGIN, actor_id=person.pk)
    assert login.ip == "203.0.113.7"


@pytest.mark.django_db
def test_one_address_failing_sign_ins_does_not_lock_out_everyone_behind_the_proxy(behind_proxy):
    # Given someone at one address failing sign-in after sign-in, until they are held back
    person = UserFactory()
    attacker = Client()
    for n in range(10):
        attacker.post(
            reverse("account_login"),
            {"login": f"nobody{n}@example.test", "password": "wrong password 123"},
            **via_proxy("203.0.113.66"),
        )
    held_back = attacker.post(
        reverse("account_login"),
        {"login": person.email, "password": TEST_PASSWORD},
        **via_proxy("203.0.113.66"),
    )
    assert "Too many failed sign-in attempts" in held_back.content.decode()
    assert "_auth_user_id" not in attacker.session

    # When another person signs in from their own address, through the same proxy
    response = Client().post(
        reverse("account_login"),
        {"login": person.email, "password": TEST_PASSWORD},
        **via_proxy("198.51.100.20"),
    )

    # Then they are signed in
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")


MESSAGE = {
    "name": "Jordan Pike",
    "email": "jordan.pike@example.test",
    "phone": "",
    "question": "Do you have evening hours?",
    "website": "",
}


@pytest.mark.django_db
def test_the_contact_form_limit_counts_each_client_behind_the_proxy(behind_proxy, settings):
    settings.TANDEM_RATE_LIMITS = {**settings.TANDEM_RATE_LIMITS, "contact_form": "2/h/ip"}
    url = reverse("intake:practice", args=[practice_with_policy().org.public_id])
    browser = Client()
    for _ in range(2):
        assert browser.post(url, MESSAGE, **via_proxy("203.0.113.7")).status_code == 302

    refused = browser.post(url, MESSAGE, **via_proxy("203.0.113.7"))
    other = browser.post(url, MESSAGE, **via_proxy("198.51.100.20"))

    assert refused.status_code == 400
    assert "You have sent several messages in the last hour" in refused.content.decode()
    assert other.status_code == 302
    assert ContactMessage.objects.count() == 3


@pytest.mark.django_db
def test_a_direct_client_cannot_escape_the_contact_limit_with_a_forged_header(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.TANDEM_RATE_LIMITS = {**settings.TANDEM_RATE_LIMITS, "contact_form": "2/h/ip"}
    url = reverse("intake:practice", args=[practice_with_policy().org.public_id])
    browser = Client()
    for n in range(2):
        forged = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        assert browser.post(url, MESSAGE, **forged).status_code == 302

    refused = browser.post(
        url, MESSAGE, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99"
    )

    assert refused.status_code == 400
    assert ContactMessage.objects.count() == 2


@pytest.mark.django_db
def test_the_scoring_api_limit_counts_each_client_behind_the_proxy(behind_proxy, settings):
    settings.TANDEM_RATE_LIMITS = {**settings.TANDEM_RATE_LIMITS, "measures_api": "2/m/ip"}
    browser = Client()
    for _ in range(2):
        assert browser.get("/api/v1/instruments", **via_proxy("203.0.113.7")).status_code == 200

    refused = browser.get("/api/v1/instruments", **via_proxy("203.0.113.7"))
    other = browser.get("/api/v1/instruments", **via_proxy("198.51.100.20"))

    assert refused.status_code == 429
    assert other.status_code == 200


# --- One-time codes across workers -------------------------------------------------


@pytest.fixture
def two_workers_on_redis():
    """Return two independent cache clients on the same Redis, as two gunicorn workers have."""
    options = {"KEY_PREFIX": f"tandem-test-{uuid.uuid4().hex}"}
    workers = RedisCache(REDIS_URL, options), RedisCache(REDIS_URL, options)
    yield workers
    client = workers[0]._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{options['KEY_PREFIX']}:*"):
        client.delete(key)


@pytest.mark.django_db
def test_a_code_used_in_one_worker_is_refused_in_another_with_a_shared_redis(
    two_workers_on_redis, monkeypatch
):
    # Given a prescriber's current code, accepted by one worker
    prescriber = make_staff(Role.PRESCRIBER)
    factor = TOTP(Authenticator.objects.get(user=prescriber, type=Authenticator.Type.TOTP))
    code = current_code(TEST_TOTP_SECRET)
    worker_a, worker_b = two_workers_on_redis
    monkeypatch.setattr(totp_auth, "cache", worker_a)
    assert factor.validate_code(code) is True

    # When the same code is replayed to another worker
    monkeypatch.setattr(totp_auth, "cache", worker_b)
    replayed = factor.validate_code(code)

    # Then it is refused: the used-code mark lives in the shared cache
    assert replayed is False


@pytest.mark.django_db
def test_per_process_memory_caches_would_accept_the_same_code_twice(monkeypatch):
    # Why production refuses to start without a shared cache (see test_settings).
    prescriber = make_staff(Role.PRESCRIBER)
    factor = TOTP(Authenticator.objects.get(user=prescriber, type=Authenticator.Type.TOTP))
    code = current_code(TEST_TOTP_SECRET)
    monkeypatch.setattr(totp_auth, "cache", LocMemCache(f"worker-a-{uuid.uuid4()}", {}))
    assert factor.validate_code(code) is True
    monkeypatch.setattr(totp_auth, "cache", LocMemCache(f"worker-b-{uuid.uuid4()}", {}))
    assert factor.validate_code(code) is True
