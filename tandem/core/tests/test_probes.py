"""Liveness (/healthz) and readiness (/readyz): what a load balancer asks before sending traffic."""

import socket
from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

SECRET_IN_ERROR = "password=hunter2 host=db.internal"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


def test_liveness_answers_without_touching_the_database(django_assert_num_queries):
    # A database outage must not make the balancer restart every healthy process.
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError):
        response = Client().get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.django_db
def test_readiness_is_200_with_each_check_when_all_answer():
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "task_queue": "ok"},
        "failed": [],
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_is_503_naming_the_cache_when_redis_is_unreachable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "error: ConnectionError"


@pytest.mark.django_db
def test_readiness_is_503_naming_the_database_without_the_drivers_message():
    failure = OperationalError(f"could not connect: {SECRET_IN_ERROR}")
    with mock.patch.object(connection, "ensure_connection", side_effect=failure):
        response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failed"]
    assert body["checks"]["database"] == "error: OperationalError"
    assert "hunter2" not in response.content.decode()
    assert "db.internal" not in response.content.decode()


@pytest.mark.django_db
def test_readiness_is_503_naming_the_task_queue_when_its_table_cannot_be_read():
    table = DBTaskResult._meta.db_table

    def refuse_queue(execute, sql, params, many, context):
        if table in sql:
            raise ProgrammingError(f'relation "{table}" does not exist')
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_queue):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["task_queue"]
    assert response.json()["checks"]["task_queue"] == "error: ProgrammingError"
