"""The appointment bot suggests other practices through the directory search, on what the client
has told it, including the answer it just refused (the New Hampshire bug of issue 14)."""

import pytest

from tandem.directory.tests.factories import practice
from tandem.intake.tests.factories import FITTING_ANSWERS, practice_with_policy
from tandem.intake.tests.test_bot import answer, begin

pytestmark = pytest.mark.django_db


def test_a_client_in_new_hampshire_is_not_sent_to_another_massachusetts_only_practice(client):
    # Given the client's chosen practice and two others: one Massachusetts-only, one in NH
    p = practice_with_policy()
    practice("Harbor Psychiatry", visit_states=["MA"])
    practice("Granite Psychiatry", visit_states=["NH"])
    practice("Paused Granite Psychiatry", visit_states=["NH"], accepting_new=False)
    begin(client, p)
    for step, data in FITTING_ANSWERS[:3]:
        answer(client, p, step, data)

    # When the client says they will be in New Hampshire during visits
    response = answer(client, p, "location", {"state_of_residence": "NH", "visit_state": "NH"})

    # Then the bot refuses kindly and suggests only the practice that can see them there
    body = response.content.decode()
    assert response.status_code == 400
    assert "Granite Psychiatry" in body
    assert "Harbor Psychiatry" not in body
    assert "Paused Granite Psychiatry" not in body
