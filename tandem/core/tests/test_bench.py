"""The benchmark's hello-world page and query-count headers: only when TANDEM_BENCH=1."""

import pytest
from django.conf import settings
from django.test import override_settings

from tandem.core.tests.test_settings import production_env, run_manage

pytestmark = pytest.mark.django_db

BENCH_MIDDLEWARE = ["tandem.core.bench.BenchMiddleware", *settings.MIDDLEWARE]


def test_without_the_bench_setting_there_is_no_hello_page_and_no_figures_in_headers(client):
    assert settings.TANDEM_BENCH is False
    assert "tandem.core.bench.BenchMiddleware" not in settings.MIDDLEWARE

    hello = client.get("/bench/hello")
    signed_in = client.get("/bench/signed-in")
    health = client.get("/healthz")

    assert hello.status_code == 404
    assert signed_in.status_code == 404
    assert health.status_code == 200
    assert "X-Query-Count" not in health
    assert "X-Server-Ms" not in health


@override_settings(ROOT_URLCONF="tandem.core.tests.bench_urls", MIDDLEWARE=BENCH_MIDDLEWARE)
def test_with_it_hello_answers_without_the_database_and_pages_say_their_query_count(client):
    hello = client.get("/bench/hello")
    ready = client.get("/readyz")

    assert hello.status_code == 200
    assert hello.content == b"hello"
    assert hello["X-Query-Count"] == "0"
    assert "Set-Cookie" not in hello
    assert float(hello["X-Server-Ms"]) >= 0
    assert ready["X-Query-Count"] == "2"  # its SELECT 1 and the task queue's probe


_SHOW = (
    "from django.conf import settings as s; from django.urls import resolve, Resolver404\n"
    "try:\n    resolve('/bench/hello'); mounted = True\n"
    "except Resolver404:\n    mounted = False\n"
    "print(s.TANDEM_BENCH, 'tandem.core.bench.BenchMiddleware' in s.MIDDLEWARE, mounted)"
)


@pytest.mark.parametrize(
    ("bench", "expected"), [(None, ["False", "False", "False"]), ("1", ["True", "True", "True"])]
)
def test_production_mounts_the_bench_page_and_headers_only_when_asked(tmp_path, bench, expected):
    env = production_env(tmp_path, TANDEM_BENCH=bench)

    result = run_manage(env, "shell", "--no-imports", "-c", _SHOW)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


@override_settings(ROOT_URLCONF="tandem.core.tests.bench_urls", MIDDLEWARE=BENCH_MIDDLEWARE)
def test_the_signed_in_floor_page_shows_only_the_navigation_and_only_to_someone_signed_in(
    client, django_user_model
):
    anonymous = client.get("/bench/signed-in")
    user = django_user_model.objects.create_user(
        email="floor@example.test", password="x-Long-enough-1"
    )
    client.force_login(user)
    page = client.get("/bench/signed-in")

    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert page.status_code == 200
    assert b'aria-label="Main"' in page.content
    assert b"<h1>Signed in</h1>" in page.content


@override_settings(ROOT_URLCONF="tandem.core.tests.bench_urls", MIDDLEWARE=BENCH_MIDDLEWARE)
def test_the_floor_reads_the_alerts_only_when_one_may_wait(client):
    # Given a signed-in therapist whom no open alert waits for
    from tandem.care.crisis import actions as crisis_actions
    from tandem.care.tests.factories import CareWorld

    world = CareWorld()
    client.force_login(world.therapist)
    client.get("/bench/signed-in")

    # When they open the floor page: the session (the database's here, Redis's in
    # production), the user with their facts, their memberships
    quiet = client.get("/bench/signed-in")

    # and once an alert for their client is open: the banner's read too
    crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Has a plan.")
    alerted = client.get("/bench/signed-in")

    assert quiet["X-Query-Count"] == "3"
    assert b"data-open-alerts" not in quiet.content
    assert int(alerted["X-Query-Count"]) > 3
    assert b"data-open-alerts" in alerted.content
