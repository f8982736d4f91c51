"""Sessions end after 15 minutes without a request; every request starts the 15 minutes again."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("core:dashboard")


def test_idle_limit_is_fifteen_minutes_with_a_two_minute_warning():
    assert settings.SESSION_IDLE_SECONDS == settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_WARNING_SECONDS == 2 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # IdleSessionMiddleware refreshes it
    assert settings.SESSION_IDLE_REFRESH_SECONDS == 60


def test_request_after_fifteen_idle_minutes_lands_on_sign_in(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(make_staff(Role.THERAPIST))
        assert client.get(DASHBOARD).status_code == 200

        traveller.shift(dt.timedelta(minutes=15, seconds=1))
        response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={DASHBOARD}"


def test_activity_within_fifteen_minutes_keeps_the_session_alive(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(make_staff(Role.THERAPIST))
        for _ in range(3):
            traveller.shift(dt.timedelta(minutes=14))
            assert client.get(DASHBOARD).status_code == 200


def test_stay_signed_in_button_renews_the_session(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(make_staff(Role.THERAPIST))
        traveller.shift(dt.timedelta(minutes=14))
        keepalive = client.post(reverse("core:keepalive"))
        traveller.shift(dt.timedelta(minutes=14))
        response = client.get(DASHBOARD)

    assert keepalive.json() == {"ok": True}
    assert response.status_code == 200


def test_pages_tell_the_script_when_to_warn_and_where_to_sign_out(client):
    user = make_staff(Role.THERAPIST)
    client.force_login(user)

    html = client.get(DASHBOARD).content.decode()

    assert 'data-session-idle="900"' in html
    assert 'data-session-warning="120"' in html
    assert 'data-logout-url="/accounts/logout/"' in html
    assert f'data-user="{user.public_id}"' in html
    assert '<dialog id="session-warning"' in html


def test_sign_in_page_explains_a_timeout(client):
    html = client.get(
        reverse("account_login") + "?timeout=1&next=/accounts/profile/"
    ).content.decode()

    assert "You were signed out after 15 minutes without activity" in html
    assert 'name="next" value="/accounts/profile/"' in html


def _session_writes(queries) -> int:
    return sum(
        1
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_quick_successive_requests_do_not_rewrite_the_session_each_time(client):
    # The idle clock is refreshed at most once a minute: a burst of pages costs no session writes.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(make_staff(Role.THERAPIST))
        with CaptureQueriesContext(connection) as burst:
            for _ in range(2):
                traveller.shift(dt.timedelta(seconds=20))
                assert client.get(DASHBOARD).status_code == 200

        traveller.shift(dt.timedelta(seconds=30))
        with CaptureQueriesContext(connection) as later:
            assert client.get(DASHBOARD).status_code == 200

    assert _session_writes(burst.captured_queries) == 0
    assert _session_writes(later.captured_queries) == 1


def test_the_idle_clock_counts_from_the_last_refresh_never_longer_than_fifteen_minutes(client):
    # Requests within a minute of a refresh do not move the end; none can keep a session
    # alive past fifteen idle minutes.
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(make_staff(Role.THERAPIST))
        traveller.shift(dt.timedelta(seconds=30))
        assert client.get(DASHBOARD).status_code == 200
        traveller.shift(dt.timedelta(minutes=15, seconds=1))
        response = client.get(DASHBOARD)

    assert response.status_code == 302
