"""Two clicks on Send that reach PostgreSQL at the same moment still make one message."""

import threading
import uuid

import pytest
from django.db import connection

from tandem.intake import actions
from tandem.intake.models import ContactMessage
from tandem.intake.tests.factories import practice_with_policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_posts_of_one_form_make_one_message():
    p = practice_with_policy()
    key = uuid.uuid4()
    start = threading.Barrier(8)
    returned: list[object] = []
    lock = threading.Lock()

    def click():
        try:
            start.wait(10)
            message = actions.send_contact_message(
                organisation=p.org,
                name="Jordan Pike",
                email="jp@example.test",
                phone="",
                question="Do you have evening hours?",
                count_attempt=lambda: True,
                submission_key=key,
            )
            result: object = message.pk
        except Exception as error:  # any error is a failure the assertion shows
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            returned.append(result)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert ContactMessage.objects.count() == 1
    assert returned == [ContactMessage.objects.get().pk] * 8
