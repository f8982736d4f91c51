"""The number of SQL queries of a FHIR read is pinned, so a change that adds one shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.care.tests.factories import CareWorld
from tandem.fhir.tests.factories import api_for
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld

pytestmark = pytest.mark.django_db


def _queries(api, url):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def test_reads_cost_a_fixed_number_of_queries():
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    referral = world.sent()
    api = api_for(world.prescriber)
    # warm: the first read of the packet writes its disclosures to the accounting
    api.get(f"/fhir/ServiceRequest/{referral.public_id}")

    counts = {
        kind: _queries(api, f"/fhir/{kind}/{referral.public_id}")
        for kind in ("Task", "ServiceRequest")
    }

    assert counts == {"Task": 10, "ServiceRequest": 14}
