"""Seed the demo once for a test module whose tests only read it.

Seeding costs some 3,000 queries, so a module whose tests only read the demo
seeds it once in a module-scoped fixture::

    @pytest.fixture(scope="module")
    def demo_world(django_db_setup, django_db_blocker):
        with seeded_once(django_db_blocker, at=SEEDED_AT) as world:
            yield world

The demo is built inside a transaction that is rolled back when the module
ends; each test's own transaction (pytest-django's ``db``) nests inside it as a
savepoint, so what a test writes is undone after that test. A module-scoped
fixture stays set up for every later test of the module, so tests that need an
empty database, or that test seeding itself, live in another module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import time_machine
from django.db import transaction

from tandem.demo.practice import DemoWorld
from tandem.demo.seed import seed_demo


@contextmanager
def seeded_once(
    django_db_blocker: Any, *, at: dt.datetime, keep_clock: bool = False
) -> Iterator[DemoWorld]:
    """Seed the demo with the clock stopped at ``at``; roll it back on exit.

    With ``keep_clock`` the clock stays stopped at ``at`` while the tests run, for
    tests that compare the demo's times with now: they see the instant it was
    seeded, as when each test seeded the demo itself a moment before asserting.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        traveller = time_machine.travel(at, tick=False)
        traveller.start()
        stopped = False
        try:
            world = seed_demo()
            if not keep_clock:
                traveller.stop()
                stopped = True
            yield world
        finally:
            if not stopped:
                traveller.stop()
            transaction.set_rollback(True)
