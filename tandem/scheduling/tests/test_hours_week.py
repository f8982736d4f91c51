"""Weekly hours in one grid: the whole week at once, with "copy to other days" (no JS needed)."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.scheduling.models import WeeklyHours
from tandem.scheduling.tests.factories import Practice
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db


def _admin(p):
    admin = make_staff(Role.PRACTICE_ADMIN, p.org)
    http = HttpClient()
    http.force_login(admin)
    return http


def _week(p):
    return sorted(
        (b.weekday, f"{b.starts:%H:%M}", f"{b.ends:%H:%M}")
        for b in WeeklyHours.objects.filter(prescriber=p.prescriber)
    )


def _empty_grid(p) -> dict[str, str]:
    """A Monday-Friday, two-rows-a-day grid that was opened with the prescriber's blocks."""
    data = {"prescriber": str(p.prescriber.public_id), "shown": ""}
    for weekday in range(5):
        for n in (1, 2):
            data[f"d{weekday}_{n}_starts"] = ""
            data[f"d{weekday}_{n}_ends"] = ""
    return data


def test_copying_monday_fills_the_other_days_without_saving_then_saving_replaces_the_week():
    # Given a prescriber with the factory's Monday mornings, and an admin on the week grid
    p = Practice()
    before = _week(p)
    http = _admin(p)
    url = reverse("scheduling_settings:hours_week", args=[p.org.public_id])
    grid = _empty_grid(p) | _opened_with(p) | {
        "d0_1_starts": "09:00", "d0_1_ends": "12:00", "d0_2_starts": "13:00", "d0_2_ends": "17:00",
    }  # fmt: skip

    # When they copy Monday to the other days
    copied = http.post(url, grid | {"copy_from": "0"})

    # Then every weekday shows Monday's two blocks, and nothing is saved yet
    body = html.unescape(copied.content.decode())
    assert body.count('value="13:00"') == 5
    assert "Monday's hours are copied to the other days" in body
    assert _week(p) == before

    # When they save the copied week
    saved = http.post(url, dict(copied.context["form"].data) | {"save": "1"})

    # Then the prescriber's week is exactly those ten blocks, each change audited
    assert saved.status_code == 302
    assert _week(p) == [
        (d, s, e) for d in range(5) for s, e in (("09:00", "12:00"), ("13:00", "17:00"))
    ]
    assert (
        AuditEvent.objects.filter(object_type="scheduling.weeklyhours", action="create").count()
        >= 10
    )


def test_a_half_filled_or_overlapping_day_is_refused_naming_the_day_and_nothing_changes():
    p = Practice()
    before = _week(p)
    http = _admin(p)
    url = reverse("scheduling_settings:hours_week", args=[p.org.public_id])

    half = http.post(url, _empty_grid(p) | _opened_with(p) | {"d2_1_starts": "09:00", "save": "1"})
    overlap = http.post(
        url,
        _empty_grid(p) | _opened_with(p) | {
            "d1_1_starts": "09:00", "d1_1_ends": "12:00", "d1_2_starts": "11:00", "d1_2_ends": "15:00",
            "save": "1",
        },
    )  # fmt: skip

    assert half.status_code == 400
    assert (
        "Wednesday, block 1: give both the start and the end, or neither." in half.content.decode()
    )
    assert overlap.status_code == 400
    assert "Tuesday: the two blocks overlap" in overlap.content.decode()
    assert _week(p) == before


def test_the_grid_opens_with_the_prescribers_hours_and_costs_the_same_queries_for_any_week(
    django_assert_num_queries,
):
    p = Practice()
    http = _admin(p)
    url = reverse("scheduling_settings:hours_week", args=[p.org.public_id])
    http.get(url)
    # (Was 8: the user now comes with their second factor and client record in one query,
    # tandem.accounts.backends.)
    with django_assert_num_queries(6) as few:
        page = http.get(url)
    for weekday in range(5):
        WeeklyHours.objects.get_or_create(
            organisation=p.org, prescriber=p.prescriber, weekday=weekday,
            starts=dt.time(14), ends=dt.time(18),
        )  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        http.get(url)

    monday = [b for b in WeeklyHours.objects.filter(prescriber=p.prescriber, weekday=0)]
    assert f'value="{monday[0].starts:%H:%M}"' in page.content.decode()


def _as_shown(page) -> dict[str, str]:
    """Return what the browser posts back for the grid exactly as the page showed it."""
    form = page.context["form"]
    data = {"prescriber": str(page.context["prescriber"].public_id), "save": "1"}
    for bound in form:
        value = bound.value()
        data[bound.html_name] = (
            value.strftime("%H:%M") if hasattr(value, "strftime") else value or ""
        )
    return data


def _add(p, weekday, starts, ends):
    WeeklyHours.objects.create(
        organisation=p.org, prescriber=p.prescriber, weekday=weekday,
        starts=dt.time(starts), ends=dt.time(ends),
    )  # fmt: skip


def test_every_block_of_all_seven_days_is_shown_and_saving_the_grid_as_shown_loses_none():
    # Given a prescriber whose Monday has three blocks and who has Saturday hours
    p = Practice()
    WeeklyHours.objects.filter(prescriber=p.prescriber).delete()
    for starts, ends in ((8, 10), (11, 13), (15, 19)):
        _add(p, 0, starts, ends)
    _add(p, 5, 10, 12)
    before = _week(p)
    http = _admin(p)
    url = reverse("scheduling_settings:hours_week", args=[p.org.public_id])

    # When the admin opens the grid
    page = http.get(url)

    # Then all three Monday blocks, Saturday's block and a Sunday row are there,
    # each day with an empty row to add one more
    body = page.content.decode()
    for value in ("08:00", "11:00", "15:00", "19:00", "10:00", "12:00"):
        assert f'value="{value}"' in body
    assert "Saturday" in body
    assert "Sunday" in body
    assert 'name="d0_4_starts"' in body
    assert 'name="d5_2_starts"' in body
    assert 'name="d6_1_starts"' in body

    # When they save the week without changing anything
    saved = http.post(url, _as_shown(page))

    # Then no hour is lost
    assert saved.status_code == 302
    assert _week(p) == before


def _opened_with(p) -> dict[str, str]:
    return {
        "shown": " ".join(
            f"{b.weekday}-{b.starts:%H:%M}-{b.ends:%H:%M}"
            for b in WeeklyHours.objects.filter(prescriber=p.prescriber)
        )
    }


def test_saving_a_grid_that_did_not_show_a_block_is_refused_and_deletes_nothing():
    # Given an admin who opened the grid, then someone added a third Monday block
    p = Practice()
    WeeklyHours.objects.filter(prescriber=p.prescriber).delete()
    _add(p, 0, 8, 10)
    http = _admin(p)
    url = reverse("scheduling_settings:hours_week", args=[p.org.public_id])
    page = http.get(url)
    _add(p, 0, 15, 19)
    _add(p, 6, 10, 12)
    before = _week(p)

    # When they save the grid they opened (and an old form that posts only Mon-Fri, two rows)
    stale = http.post(url, _as_shown(page))
    legacy = http.post(url, _empty_grid(p) | {"save": "1"})

    # Then both are refused with a message naming the blocks the grid did not show
    for response in (stale, legacy):
        body = html.unescape(response.content.decode())
        assert response.status_code == 400
        assert "The week was not saved" in body
        assert "Monday 15:00-19:00" in body
        assert "Sunday 10:00-12:00" in body
    assert _week(p) == before
