"""Database connections in production: kept between requests, health-checked, pooler-aware."""

import pytest

from tandem.core.tests.test_settings import production_env, run_manage

SHOW = (
    "from django.conf import settings as s; d = s.DATABASES['default'];"
    "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['DISABLE_SERVER_SIDE_CURSORS'])"
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ["60", "True", "False"]),
        ({"CONN_MAX_AGE": "0"}, ["0", "True", "False"]),
        ({"CONN_MAX_AGE": "300", "DATABASE_POOLER": "transaction"}, ["300", "True", "True"]),
        ({"DATABASE_POOLER": "session"}, ["60", "True", "False"]),
    ],
    ids=["default-one-minute", "turned-off", "pgbouncer-transaction-mode", "session-pooler"],
)
def test_production_keeps_connections_and_knows_its_pooler(tmp_path, overrides, expected):
    result = run_manage(production_env(tmp_path, **overrides), "shell", "--no-imports", "-c", SHOW)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


def test_an_unknown_pooler_mode_is_refused_by_name(tmp_path):
    result = run_manage(production_env(tmp_path, DATABASE_POOLER="statement"), "check")

    assert result.returncode != 0
    assert "DATABASE_POOLER" in result.stderr


def test_the_test_suite_closes_connections_after_each_request():
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
