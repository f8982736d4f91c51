"""The receiving practice's EHR moves the referral on by updating its Task, with If-Match."""

import json

import pytest

from tandem.care.tests.factories import CareWorld
from tandem.fhir.tests.factories import api_for
from tandem.fhir.validation import validated
from tandem.referrals.models import Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def _put(api, referral, body, **headers):
    return api.http.put(
        f"/fhir/Task/{referral.public_id}",
        json.dumps(body),
        content_type="application/fhir+json",
        **api.headers,
        **headers,
    )


def _task(referral, status, **extra):
    return {
        "resourceType": "Task",
        "id": str(referral.public_id),
        "status": status,
        "intent": "order",
        **extra,
    }


def test_the_practice_accepts_with_the_version_it_read_and_the_task_says_so():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.coordinator, scopes="system/Task.*")
    etag = api.get(f"/fhir/Task/{referral.public_id}")["ETag"]

    response = _put(api, referral, _task(referral, "accepted"), HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    task = validated(response.json())
    assert (task["status"], task["businessStatus"]["text"]) == ("accepted", "accepted")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert response["ETag"] == f'W/"{referral.version}"'


def test_a_stale_update_gets_412_and_changes_nothing():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.coordinator, scopes="system/Task.*")
    etag = api.get(f"/fhir/Task/{referral.public_id}")["ETag"]
    # Meanwhile someone on the web acknowledges it
    from tandem.referrals import actions

    actions.receive(actor=world.admin, referral=referral)

    response = _put(api, referral, _task(referral, "accepted"), HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert validated(response.json())["issue"][0]["expression"] == ["If-Match"]
    assert Referral.objects.get().status == ReferralStatus.RECEIVED


def test_an_update_without_if_match_is_refused():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.coordinator, scopes="system/Task.*")

    response = _put(api, referral, _task(referral, "accepted"))

    assert response.status_code == 428
    assert Referral.objects.get().status == ReferralStatus.SENT


def test_a_decline_needs_its_reason_named_in_status_reason():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.coordinator, scopes="system/Task.*")
    etag = f'W/"{referral.version}"'

    missing = _put(api, referral, _task(referral, "rejected"), HTTP_IF_MATCH=etag)
    reason = {
        "coding": [
            {"system": "https://tandem.invalid/fhir/CodeSystem/decline-reason", "code": "coverage"}
        ]
    }
    declined = _put(
        api, referral, _task(referral, "rejected", statusReason=reason), HTTP_IF_MATCH=etag
    )

    assert missing.status_code == 400
    assert missing.json()["issue"][0]["expression"] == ["Task.statusReason"]
    assert declined.status_code == 200
    assert declined.json()["statusReason"]["coding"][0]["code"] == "coverage"


def test_a_token_that_may_only_read_tasks_cannot_update_one():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.coordinator, scopes="system/Task.read")

    response = _put(
        api, referral, _task(referral, "accepted"), HTTP_IF_MATCH=f'W/"{referral.version}"'
    )

    assert response.status_code == 403
    assert Referral.objects.get().status == ReferralStatus.SENT
