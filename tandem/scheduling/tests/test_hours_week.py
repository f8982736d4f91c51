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
    data = {"prescriber": str(p.prescriber.public_id)}
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
    grid = _empty_grid(p) | {
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

    half = http.post(url, _empty_grid(p) | {"d2_1_starts": "09:00", "save": "1"})
    overlap = http.post(
        url,
        _empty_grid(p) | {
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
    with django_assert_num_queries(8) as few:
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
