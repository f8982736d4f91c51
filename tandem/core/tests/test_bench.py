"""The benchmark's hello-world page and query-count headers: only when TANDEM_BENCH=1."""

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

BENCH_MIDDLEWARE = ["tandem.core.bench.BenchMiddleware", *settings.MIDDLEWARE]


def test_without_the_bench_setting_there_is_no_hello_page_and_no_figures_in_headers(client):
    assert settings.TANDEM_BENCH is False
    assert "tandem.core.bench.BenchMiddleware" not in settings.MIDDLEWARE

    hello = client.get("/bench/hello")
    health = client.get("/healthz")

    assert hello.status_code == 404
    assert health.status_code == 200
    assert "X-Query-Count" not in health
    assert "X-Server-Ms" not in health


@override_settings(ROOT_URLCONF="tandem.core.tests.bench_urls", MIDDLEWARE=BENCH_MIDDLEWARE)
def test_with_it_hello_answers_without_the_database_and_pages_say_their_query_count(client):
    hello = client.get("/bench/hello")
    health = client.get("/healthz")

    assert hello.status_code == 200
    assert hello.content == b"hello"
    assert hello["X-Query-Count"] == "0"
    assert "Set-Cookie" not in hello
    assert float(hello["X-Server-Ms"]) >= 0
    assert health["X-Query-Count"] == "1"  # its SELECT 1
