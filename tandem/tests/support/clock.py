"""Tests that travel to fixed days build their world before those days, not at the real date.

A release signed "today" takes effect today. A test that builds its world at
the real date and then travels to a fixed day in 2027 works only until the real
date passes that day; after that the release is "not in effect yet" on it. Such
a module says when its world is built::

    _built = world_built_on(dt.datetime(2027, 4, 5, 9, 0, tzinfo=BOSTON))

and every test in it starts on that moment (the clock ticks on), whatever the
real date; the test's own travels still move it to the fixed days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import time_machine


def world_built_on(moment: dt.datetime) -> Callable[..., Iterator[None]]:
    """Return an autouse fixture that starts each test of the module at ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("world_built_on needs an aware moment")

    @pytest.fixture(autouse=True)
    def _world_built_on() -> Iterator[None]:
        with time_machine.travel(moment, tick=True):
            yield

    return _world_built_on
