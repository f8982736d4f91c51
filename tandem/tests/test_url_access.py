"""Every URL that takes an object id refuses everyone who has no right to the object.

The URLs come from the URL conf, so a view added later is probed without anyone
remembering to add it here; see tandem/tests/support/urlwalk.py for how.
"""

import pytest

from tandem.tests.support.url_objects import NOT_OBJECT_IDS
from tandem.tests.support.urlwalk import NO_MFA_INSIDER, PROBERS, routes, skip_reason, walk

UNPROTECTED = "tandem.tests.unprotected_urls"


@pytest.mark.django_db
def test_every_object_url_refuses_each_role_without_a_right_to_it():
    report = walk()

    assert report.unregistered == []
    assert [str(finding) for finding in report.findings] == []
    assert {
        "clients:detail",
        "organisations:detail",
        "organisations:invite",
        "organisations:revoke",
        "organisations:invitation",
        "organisations:invitation_revoke",
    } <= set(report.checked)


def test_every_tandem_url_with_an_id_is_probed_rather_than_skipped():
    skipped = {
        route.label: skip_reason(route)
        for route in routes()
        if route.kwargs and route.module.startswith("tandem.") and skip_reason(route)
    }

    # The exceptions: the public scoring API, whose one argument names an instrument; a
    # practice's public page, its bot and its open slots (meant for everyone); and the bot's
    # invitation and its emailed confirmation link, whose random token is itself the key; the
    # FHIR Organization of a practice that takes referrals (what its public page shows); a
    # FHIR Questionnaire (an instrument's public definition).
    public_practice = NOT_OBJECT_IDS["practice_id"][0]
    assert skipped == {
        "measures_api:score": NOT_OBJECT_IDS["instrument_code"][0],
        "measures:answer": NOT_OBJECT_IDS["instrument_code"][0],
        "intake:practice": public_practice,
        "intake:start": public_practice,
        "intake:thread": public_practice,
        "intake:verify": public_practice,
        "scheduling:book": public_practice,
        "fhir:organization-read": public_practice,
        "fhir:questionnaire-read": NOT_OBJECT_IDS["questionnaire_id"][0],
        "intake:invitation": NOT_OBJECT_IDS["token"][0],
        "intake:confirm": NOT_OBJECT_IDS["token"][0],
    }


@pytest.mark.django_db
def test_the_walk_catches_exactly_the_view_that_forgets_the_policy_and_asks_for_unknown_ids(
    monkeypatch,
):
    # Given the real URLs plus a view that shows any client to anyone, a view that asks the
    # policy but leaves no audit row, a view that refuses even the practice's own admin, and
    # a view taking an id nobody registered
    # (and path arguments that name no object, declared as such)
    monkeypatch.setitem(NOT_OBJECT_IDS, "tab", ("a tab of the page", "history"))
    monkeypatch.setitem(NOT_OBJECT_IDS, "section", ("a section of the site", "about"))

    # When the walk runs over them
    report = walk(UNPROTECTED)

    # Then the unprotected view is reported for every probing role (staff without MFA are
    # stopped by the MFA middleware before any view runs), with what it showed
    leaks = [f for f in report.findings if f.route == "leaky_client" and f.who != "allowed user"]
    assert {(f.who, f.method) for f in leaks} == {
        (who, method) for who in PROBERS for method in ("GET", "POST")
    }
    assert NO_MFA_INSIDER not in {f.who for f in leaks}
    assert {f.problem for f in leaks} == {
        "status 200 and the page shows Qzfirstcanary, Qzlastcanary"
    }
    # and the over-protected one for refusing the user who may reach it, and nothing else
    locked = [str(f) for f in report.findings if f.route == "locked_organisation"]
    assert locked == [
        "locked_organisation: allowed user GET/POST → the allowed user got status 404 on GET"
    ]
    # and the unaudited one for the read that left no trace, and nothing else
    unaudited = [str(f) for f in report.findings if f.route == "unaudited_client"]
    assert unaudited == [
        "unaudited_client: allowed user GET/POST → "
        "the allowed user read the object and no audit event was written"
    ]
    real = {route.label for route in routes()}  # their findings are the test above's business
    assert report.leaking_routes - real == {
        "leaky_client",
        "locked_organisation",
        "unaudited_client",
    }
    # and the unknown id fails the walk with instructions
    mine = [problem for problem in report.unregistered if problem.startswith("mystery ")]
    assert mine == [
        "mystery (mystery/<uuid:mystery_id>/) takes <mystery_id>, which the URL walk does not "
        "know: register a factory for 'mystery_id' in tandem/tests/support/url_objects.py that "
        "builds the object in a practice the probing users do not belong to"
    ]
    assert "mystery" not in report.checked
    # and a URL whose only argument names no object is skipped, saying why
    assert report.skipped["section"] == "a section of the site"
