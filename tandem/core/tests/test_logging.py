"""Log lines carry the request id and never the data: no query strings, tokens or exception text."""

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from tandem.core.logging import REDACTED, JsonFormatter, scrub_path


def _explode(request: HttpRequest) -> HttpResponse:
    # Like a database error quoting the row it refused (source lines name no values).
    raise ValueError(", ".join(PHI))


urlpatterns = [
    path("test-logging/explode/", _explode),
    path("", include("tandem.urls")),
]

PHI = ["Jane", "1980-02-03", "4471", "Example"]


@pytest.fixture
def console_output() -> Iterator[io.StringIO]:
    """Capture what Tandem's configured console handler writes (formatter and filters included)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def lines_for(output: io.StringIO, request_id: str) -> list[str]:
    return [line for line in output.getvalue().splitlines() if f"[{request_id}]" in line]


@pytest.mark.urls("tandem.core.tests.test_logging")
@pytest.mark.django_db
def test_normal_request_is_logged_once_under_its_request_id_without_the_query(console_output):
    response = Client().get("/?q=Jane+Q.+Example&dob=1980-02-03")

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    lines = lines_for(console_output, request_id)
    assert len(lines) == 1
    assert re.search(rf"INFO tandem\.access \[{request_id}\] GET / 200 \d+ms$", lines[0])
    assert not any(value in console_output.getvalue() for value in PHI)


@pytest.mark.urls("tandem.core.tests.test_logging")
@pytest.mark.django_db
def test_failing_request_logs_error_and_traceback_under_its_request_id_without_phi(
    console_output,
):
    response = Client(raise_request_exception=False).get("/test-logging/explode/?name=Jane")

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    output = console_output.getvalue()
    lines = lines_for(console_output, request_id)
    assert any(
        line.endswith(
            f"ERROR django.request [{request_id}] Internal Server Error: /test-logging/explode/"
        )
        for line in lines
    )
    assert any(
        re.search(
            rf"INFO tandem\.access \[{request_id}\] GET /test-logging/explode/ 500 \d+ms$", line
        )
        for line in lines
    )
    assert "builtins.ValueError: <message withheld: it may quote client data>" in output
    assert not any(value in output for value in PHI)


@pytest.mark.urls("tandem.core.tests.test_logging")
@pytest.mark.django_db
def test_request_id_from_a_proxy_is_kept_in_the_logs(console_output):
    response = Client().get("/", headers={"X-Request-ID": "proxy-abc-12345678"})

    assert response["X-Request-ID"] == "proxy-abc-12345678"
    assert len(lines_for(console_output, "proxy-abc-12345678")) == 1


def test_log_records_carry_request_id_outside_requests_too(console_output):
    logging.getLogger("tandem.tests").warning("worker started")

    assert console_output.getvalue().rstrip().endswith("WARNING tandem.tests [-] worker started")


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/clients/?q=Jane+Doe", "/clients/"),
        (
            "/clients/3f1c2a9e-8d4b-4c2a-9f7e-1a2b3c4d5e6f/",
            "/clients/3f1c2a9e-8d4b-4c2a-9f7e-1a2b3c4d5e6f/",
        ),
        ("/accounts/confirm-email/MQ:1tQx2a:abcDEF123/", f"/accounts/confirm-email/{REDACTED}/"),
        (
            "/accounts/password/reset/key/1-cbk1x2-8f3e1d7c2a6b5e4d3c2b/",
            f"/accounts/password/reset/key/{REDACTED}/",
        ),
        ("/clients/jane.doe@example.org/", f"/clients/{REDACTED}/"),
        ("/static/tandem/tandem.css", "/static/tandem/tandem.css"),
    ],
)
def test_scrub_path_keeps_uuids_and_words_and_drops_queries_tokens_and_emails(path, logged):
    assert scrub_path(path) == logged


def test_runserver_request_lines_lose_their_query_string(console_output):
    logging.getLogger("django.server").warning(
        '"%s" %s %s', "GET /audit/?actor=jane@example.org HTTP/1.1", 404, 179
    )

    assert (
        console_output.getvalue()
        .rstrip()
        .endswith('WARNING django.server [-] "GET /audit/ HTTP/1.1" 404 179')
    )


@pytest.fixture
def json_console_output(console_output: io.StringIO) -> Iterator[io.StringIO]:
    """The console handler with production's formatter (LOG_FORMAT=json)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    previous = handler.formatter
    handler.setFormatter(JsonFormatter())
    yield console_output
    handler.setFormatter(previous)


@pytest.mark.urls("tandem.core.tests.test_logging")
@pytest.mark.django_db
def test_json_access_line_carries_the_request_id_and_no_client_name(json_console_output):
    response = Client().get("/?q=Jane+Q.+Example&dob=1980-02-03")

    request_id = response["X-Request-ID"]
    entries = [json.loads(line) for line in json_console_output.getvalue().splitlines()]
    mine = [entry for entry in entries if entry["request_id"] == request_id]
    assert len(mine) == 1
    assert mine[0]["logger"] == "tandem.access"
    assert mine[0]["level"] == "INFO"
    assert (mine[0]["method"], mine[0]["path"], mine[0]["status_code"]) == ("GET", "/", 200)
    assert re.fullmatch(r"GET / 200 \d+ms", mine[0]["message"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", mine[0]["time"])
    assert not any(value in json_console_output.getvalue() for value in PHI)


@pytest.mark.urls("tandem.core.tests.test_logging")
@pytest.mark.django_db
def test_json_error_line_has_the_traceback_without_the_exception_message(json_console_output):
    response = Client(raise_request_exception=False).get("/test-logging/explode/?name=Jane")

    request_id = response["X-Request-ID"]
    entries = [json.loads(line) for line in json_console_output.getvalue().splitlines()]
    errors = [e for e in entries if e["request_id"] == request_id and e["level"] == "ERROR"]
    assert len(errors) == 1
    assert "builtins.ValueError: <message withheld" in errors[0]["exception"]
    assert not any(value in json_console_output.getvalue() for value in PHI)
