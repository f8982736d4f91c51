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
