"""Every URL that takes an object id refuses everyone who has no right to the object.

The URLs come from the URL conf, so a view added later is probed without anyone
remembering to add it here; see tandem/core/testing/urlwalk.py for how.
"""

import pytest

from tandem.core.testing.urlwalk import NO_MFA_INSIDER, PROBERS, routes, walk

pytestmark = pytest.mark.django_db

UNPROTECTED = "tandem.core.tests.unprotected_urls"


def test_every_object_url_refuses_each_role_without_a_right_to_it():
    report = walk()

    assert report.unregistered == []
    assert [str(finding) for finding in report.findings] == []
    assert {
        "clients:detail",
        "organisations:detail",
        "organisations:grant",
        "organisations:revoke",
    } <= set(report.checked)


def test_every_tandem_url_with_an_id_is_probed_rather_than_skipped():
    report = walk()

    tandem_routes_with_ids = {
        route.label for route in routes() if route.kwargs and route.module.startswith("tandem.")
    }
    assert tandem_routes_with_ids - set(report.checked) == set()


def test_the_walk_catches_a_view_that_forgets_the_policy():
    report = walk(UNPROTECTED)

    leaks = [f for f in report.findings if f.route == "leaky_client"]
    # Staff without MFA are stopped by the MFA middleware before the view runs.
    assert {(f.who, f.method) for f in leaks} == {
        (who, method) for who in PROBERS for method in ("GET", "POST")
    }
    assert all("the page shows Qzfirstcanary, Qzlastcanary" in f.problem for f in leaks)
    assert NO_MFA_INSIDER not in {f.who for f in leaks}


def test_the_walk_reports_exactly_the_unprotected_and_the_overprotected_views():
    report = walk(UNPROTECTED)

    assert report.leaking_routes == {"leaky_client", "locked_organisation"}
    locked = [str(f) for f in report.findings if f.route == "locked_organisation"]
    assert locked == [
        "locked_organisation: allowed user GET/POST → the allowed user got status 404 on GET"
    ]


def test_the_walk_fails_on_an_id_nobody_registered_and_says_where_to_register_it():
    report = walk(UNPROTECTED)

    mine = [problem for problem in report.unregistered if problem.startswith("mystery ")]
    assert mine == [
        "mystery (mystery/<uuid:mystery_id>/) takes <mystery_id>, which the URL walk does not "
        "know: register a factory for 'mystery_id' in tandem/core/testing/url_objects.py that "
        "builds the object in a practice the probing users do not belong to"
    ]
    assert "mystery" not in report.checked
