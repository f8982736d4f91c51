"""A release in any state, for the status-table test (``core/tests/test_status_assignments.py``)."""

from typing import Any

from tandem.consent.models import Release
from tandem.consent.tests.factories import World


def release_in(source: str, target: str) -> tuple[Release, dict[str, Any]]:
    """Return a release standing in ``source`` and what ``states.move`` needs."""
    world = World()
    release = world.prepare()
    Release.objects.filter(pk=release.pk).update(status=source)
    release.refresh_from_db()
    return release, {"actor": world.therapist}


#: The states modules of this package (by module name) and how to get a subject for each.
SUBJECTS = {"states": release_in}
