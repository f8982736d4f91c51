"""Fixtures shared by the whole suite."""

from typing import Any

import pytest
from django.db import connection


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out PostgreSQL-only tests on SQLite (they test PostgreSQL features: locks, triggers).

    .ci/run runs the suite on both databases, so every test runs somewhere.
    """
    if connection.vendor == "postgresql":
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fresh_caches(settings: Any) -> None:
    """Each test starts with empty caches (rate limits live there)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def client() -> Any:
    """Django's test client whose force_login also records the second factor, as sign-in does."""
    from tandem.tests.support.http import Client

    return Client()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=None,
        metavar="ISO-8601",
        help=(
            "Run the whole suite as if the wall clock started at this instant (it keeps ticking), "
            "e.g. --clock=2026-11-30T04:30Z: late evening in New York, already tomorrow in UTC. "
            "Catches tests and code that mix the practice's calendar day with UTC's."
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    instant = config.getoption("--clock")
    if instant:
        import datetime as dt

        import time_machine

        when = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise pytest.UsageError("--clock needs an offset or Z, e.g. 2026-11-30T04:30Z")
        traveller = time_machine.travel(when, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)
