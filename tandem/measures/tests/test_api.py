"""The stateless scoring API over HTTP: result shapes, every refusal, the rate limit.

None of these tests may touch the database (no django_db mark): the API stores nothing.
"""

import json

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from tandem.measures import api


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def post(client: Client, code: str, body: object, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        f"/api/v1/instruments/{code}/score", data=data, content_type="application/json", **extra
    )


def test_scoring_a_phq9_returns_the_result_and_sets_no_cookie(client):
    # Given a PHQ-9 with a total of 3 and item 9 "several days"
    # When an integrator posts it without signing in
    response = post(client, "phq-9", {"responses": [1, 1, 0, 0, 0, 0, 0, 0, 1]})

    # Then the result comes back, flagged, and no session or CSRF cookie is set
    assert response.status_code == 200
    assert response.json() == {
        "instrument": "phq-9",
        "total": 3,
        "band": "minimal",
        "positive": False,
        "flags": ["suicide_item_positive"],
        "complete": True,
        "prorated": False,
        "difficulty": None,
        "missing_items": [],
    }
    assert response.cookies == {}


def test_scoring_audit_c_with_sex(client):
    response = post(client, "audit-c", {"responses": [1, 1, 1], "sex": "female"})

    assert response.status_code == 200
    assert response.json() == {
        "instrument": "audit-c",
        "total": 3,
        "band": None,
        "positive": True,
        "flags": [],
        "complete": True,
        "prorated": False,
        "missing_items": [],
    }


def test_scoring_an_incomplete_gad7_returns_no_total_rather_than_zero(client):
    response = post(client, "gad-7", {"responses": [0, 0, 0, 0, 0, 0, None]})

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["band"], body["positive"], body["complete"]) == (
        None,
        None,
        None,
        False,
    )
    assert body["missing_items"] == ["7"]


def test_scoring_works_with_csrf_checks_enforced():
    # Given a client that enforces CSRF as a browser on another site would face it
    client = Client(enforce_csrf_checks=True)

    response = post(client, "phq-2", {"responses": [2, 1]})

    assert response.status_code == 200
    assert response.json()["positive"] is True


def test_the_score_view_never_reads_the_session():
    # Given a request with no session and no user at all (no middleware ran)
    request = RequestFactory().post(
        "/api/v1/instruments/gad-2/score",
        data=json.dumps({"responses": [3, 3]}),
        content_type="application/json",
    )
    assert not hasattr(request, "session")

    # When the view runs directly, it scores without touching request.session or request.user
    response = api.score(request, instrument_code="gad-2")

    assert response.status_code == 200
    assert json.loads(response.content)["total"] == 6


@pytest.mark.parametrize(
    ("code", "body", "error", "field"),
    [
        pytest.param("phq-9", "{not json", "The body must be JSON.", "body", id="malformed-json"),
        pytest.param(
            "phq-9", "[1, 2]", "The body must be a JSON object.", "body", id="not-an-object"
        ),
        pytest.param(
            "phq-9",
            {"answers": []},
            "The body needs a 'responses' list.",
            "responses",
            id="no-responses",
        ),
        pytest.param(
            "phq-9",
            {"responses": [0] * 8},
            "PHQ-9 takes 9 or 10 answers, one per item in order; got 8.",
            "responses",
            id="wrong-item-count",
        ),
        pytest.param(
            "gad-7",
            {"responses": [0, 0, 0, 0, 9, 0, 0]},
            "GAD-7 item 5: the answer must be one of 0, 1, 2, 3; got 9.",
            "responses[4]",
            id="out-of-range",
        ),
        pytest.param(
            "phq-2",
            {"responses": [1.5, 0]},
            "PHQ-2 item 1: the answer must be a whole number (one of 0, 1, 2, 3) or null; got 1.5.",
            "responses[0]",
            id="non-integer",
        ),
        pytest.param(
            "phq-2",
            {"responses": ["1", 0]},
            "PHQ-2 item 1: the answer must be a whole number (one of 0, 1, 2, 3) or null; got '1'.",
            "responses[0]",
            id="string-answer",
        ),
        pytest.param(
            "beck-ii",
            {"responses": [0]},
            "Unknown instrument 'beck-ii'; known codes: phq-9, phq-2, gad-7, gad-2, c-ssrs-screen, "
            "asrs-a, mdq, audit-c, pcl-5.",
            "code",
            id="unknown-code",
        ),
        pytest.param(
            "audit-c",
            {"responses": [1, 1, 1]},
            "AUDIT-C needs sex ('female' or 'male') because its published cut-offs differ by "
            "sex; got None.",
            "sex",
            id="audit-c-without-sex",
        ),
        pytest.param(
            "c-ssrs-screen",
            {"responses": [0, 0, 1, None, None, 0, None]},
            "C-SSRS screener question 3 is asked only after a yes to question 2; leave it null "
            "unless question 2 is yes.",
            "responses[2]",
            id="cssrs-skip-violated",
        ),
    ],
)
def test_bad_input_is_refused_with_400_naming_the_problem(client, code, body, error, field):
    response = post(client, code, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": error, "field": field}


def test_get_on_the_score_url_is_refused_with_405_json(client):
    response = client.get("/api/v1/instruments/phq-9/score")

    assert response.status_code == 405
    assert response.json() == {
        "error": "Use POST with a JSON body to score answers.",
        "field": "method",
    }


def test_the_instrument_list_gives_items_options_values_and_licences(client):
    response = client.get("/api/v1/instruments")

    assert response.status_code == 200
    instruments = {i["code"]: i for i in response.json()["instruments"]}
    assert list(instruments) == [
        "phq-9",
        "phq-2",
        "gad-7",
        "gad-2",
        "c-ssrs-screen",
        "asrs-a",
        "mdq",
        "audit-c",
        "pcl-5",
    ]
    phq9 = instruments["phq-9"]
    assert phq9["accepted_lengths"] == [9, 10]
    assert phq9["texts_shipped"] is True
    assert phq9["items"][8] == {
        "number": "9",
        "text": "Thoughts that you would be better off dead or of hurting yourself in some way",
        "scored": True,
        "options": [
            {"value": 0, "label": "Not at all"},
            {"value": 1, "label": "Several days"},
            {"value": 2, "label": "More than half the days"},
            {"value": 3, "label": "Nearly every day"},
        ],
    }
    assert phq9["items"][9]["scored"] is False
    assert "No permission required" in phq9["licence"]
    cssrs = instruments["c-ssrs-screen"]
    assert cssrs["texts_shipped"] is False
    assert [item["text"] for item in cssrs["items"]][:2] == ["Question 1", "Question 2"]
    assert instruments["audit-c"]["needs_sex"] is True
    assert instruments["pcl-5"]["licence"].startswith("Public domain")


@override_settings(TANDEM_RATE_LIMITS={"measures_api": "3/m/ip"})
def test_more_than_the_allowance_from_one_address_gets_429(client):
    # Given three requests within the minute from one address
    for _ in range(3):
        assert post(client, "phq-2", {"responses": [0, 0]}).status_code == 200

    # When a fourth comes, from the same address
    response = post(client, "phq-2", {"responses": [0, 0]})

    # Then it is refused with a JSON reason and a Retry-After header
    assert response.status_code == 429
    assert response.json() == {
        "error": "Too many requests: at most 3 a minute from one address. Try again shortly.",
        "field": "rate",
    }
    assert response["Retry-After"] == "60"
    # and the instrument list counts against the same allowance
    assert client.get("/api/v1/instruments").status_code == 429
    # while another address is still served
    other = post(client, "phq-2", {"responses": [0, 0]}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_the_mdq_licence_names_the_forms_copyright_holder(client):
    # Given the MDQ form, whose notice reads "Copyright (c) 2000 by The University of Texas
    # Medical Branch"
    # When an integrator lists the instruments
    response = client.get("/api/v1/instruments")

    # Then the MDQ's licence names that holder, and not one of the authors
    mdq = {i["code"]: i for i in response.json()["instruments"]}["mdq"]
    assert mdq["licence"] == (
        "Copyright © 2000 by The University of Texas Medical Branch (the form's own notice). "
        "Wording not shipped: neutral labels only."
    )
    assert "Hirschfeld" not in mdq["licence"]
