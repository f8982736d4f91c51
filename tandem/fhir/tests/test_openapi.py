"""The OpenAPI description of the JSON APIs: served, complete, and true under schemathesis."""

import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tandem.care.tests.factories import CareWorld
from tandem.fhir.openapi import description
from tandem.fhir.tests.factories import system_client, token_for
from tandem.tests.support.http import Client

#: The URL namespaces that answer JSON, and the one route outside them that does.
JSON_NAMESPACES = {"fhir", "measures_api"}
JSON_ROUTES = {"openapi"}


def _routes(patterns, prefix="", namespace=None):
    for entry in patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, here, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and (
            namespace in JSON_NAMESPACES or (namespace is None and entry.name in JSON_ROUTES)
        ):
            yield entry, "/" + here


def _template(route: str) -> str:
    """``fhir/Task/<uuid:referral_id>`` → ``/fhir/Task/{id}``, as the description names it."""
    route = re.sub(r"<uuid:\w+>", "{id}", route)
    return re.sub(r"<(?:str:)?(\w+)>", r"{\1}", route)


def test_the_description_is_served_without_signing_in():
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
    assert "/fhir/Appointment/{id}" in response.json()["paths"]


def test_every_served_json_route_is_described_and_nothing_else():
    served = {_template(route) for _, route in _routes(get_resolver().url_patterns)}

    described = set(description()["paths"])

    assert served == described
    assert {"/fhir/MedicationStatement", "/api/v1/instruments/{instrument_code}/score"} <= served


def test_each_fhir_read_and_search_is_described_with_the_methods_it_takes():
    paths = description()["paths"]

    assert set(paths["/fhir/Task/{id}"]) == {"parameters", "get", "put"}
    assert set(paths["/fhir/Patient/{id}"]) == {"parameters", "get"}
    assert set(paths["/fhir/Patient"]["get"]["responses"]) >= {"405"}  # read by id only
    searched = {p["name"] for p in paths["/fhir/Appointment"]["get"]["parameters"]}
    assert searched == {"patient", "status", "date", "_count", "_offset"}


schema = schemathesis.openapi.from_dict(description())
schema.app = WSGIHandler()


@pytest.fixture
def bearer(transactional_db):
    world = CareWorld()
    world.sent()
    token = token_for(system_client(world.prescriber, scopes="system/*.read system/*.write"))
    return {"Authorization": f"Bearer {token}"}


# The real WSGI handler closes the database connection after each request, as in production;
# inside a test transaction that would break the next query on PostgreSQL, so this test commits.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_the_description_allows_makes_a_server_error(case, bearer):
    headers = bearer if case.path != "/fhir/auth/token" else {}
    response = case.call(headers=headers)

    case.validate_response(response, checks=[not_a_server_error])
