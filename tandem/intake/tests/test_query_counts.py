"""The coordinators' inbox costs a fixed number of queries, however many messages it lists."""

import pytest
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import MembershipFactory
from tandem.intake.models import ContactMessage
from tandem.intake.tests.factories import practice_with_policy
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db

#: Whatever the number of messages, for a coordinator of two practices: session, user
#: (with their second factor and client record: tandem.accounts.backends; the MFA check
#: and the navigation's own-client lookup were two more), memberships; the messages with
#: their practices; one audit row per practice read (savepoint, chain head, insert, head
#: update, release: twice); no session write.
INBOX_QUERIES = 14 - fewer_on_postgresql(2)


@pytest.mark.parametrize("per_practice", [1, 40])
def test_the_inbox_costs_the_same_queries_for_2_or_80_messages(
    client, per_practice, django_assert_num_queries
):
    # Given a coordinator of two practices with messages in both, and a stranger's practice
    mine, second, stranger = practice_with_policy(), practice_with_policy(), practice_with_policy()
    second.org.name = "Second Street Psychiatry"
    second.org.save(update_fields=["name"])
    MembershipFactory(user=mine.coordinator, organisation=second.org, role=Role.COORDINATOR)
    for org in (mine.org, second.org, stranger.org):
        for i in range(per_practice):
            ContactMessage.objects.create(
                organisation=org,
                name=f"Sender {org.pk}-{i}",
                email=f"sender{org.pk}-{i}@example.test",
                question="Do you have evening hours?",
            )
    client.force_login(mine.coordinator)
    url = reverse("intake:inbox")
    client.get(url)

    with django_assert_num_queries(INBOX_QUERIES):
        page = client.get(url)

    # Then every message of both practices is listed, with its practice, and no other
    body = page.content.decode()
    assert body.count('<li class="card">') == 2 * per_practice
    assert body.count(f"{second.org.name} · ") == per_practice
    assert f"Sender {stranger.org.pk}-" not in body
