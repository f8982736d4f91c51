"""The directory's part of the demo: both psychiatric practices' stated profiles, then their
measured figures computed from the demo's own referrals (no figure is typed in)."""

from __future__ import annotations

from typing import Any

from tandem.demo.practice import DemoWorld, upsert
from tandem.directory import actions
from tandem.directory.models import PracticeProfile

PROFILES: dict[str, dict[str, Any]] = {
    # A telehealth practice for adults in Massachusetts, like the article's.
    "harborlight": {
        "listed": True,
        "telehealth": True,
        "in_person": False,
        "specialties": ["adult_adhd", "bipolar", "perinatal", "second_opinion"],
        "languages": ["en", "es"],
        "prescribers": [
            {
                "name": "Elena Marsh",
                "credentials": "MD",
                "board_certification": "Board certified in psychiatry (ABPN)",
                "training": "Residency, Massachusetts General Hospital (as stated)",
            },
            {
                "name": "Samuel Adeyemi",
                "credentials": "PMHNP-BC",
                "board_certification": "Board certified psychiatric nurse practitioner (ANCC)",
                "training": "",
            },
        ],
        "about": "Adult psychiatry by secure video across Massachusetts, working alongside "
        "your therapist: we send a consult note after every first visit.",
        "how_to_refer": "Refer through Tandem; we answer within one business day.",
    },
    # A group practice with an office in Worcester, older adults too.
    "quinsigamond": {
        "listed": True,
        "telehealth": True,
        "in_person": True,
        "specialties": ["treatment_resistant", "anxiety_ocd", "second_opinion"],
        "languages": ["en", "pt"],
        "prescribers": [
            {
                "name": "Group prescribers",
                "credentials": "MD, PMHNP",
                "board_certification": "",
                "training": "",
            },
        ],
        "about": "A group practice with an office in Worcester and visits by video.",
        "how_to_refer": "Refer through Tandem; urgent questions by phone.",
    },
}


def seed_directory(world: DemoWorld) -> None:
    """State both practices' profiles, then compute their figures from the seeded referrals."""
    for key, values in PROFILES.items():
        _, created, changed = upsert(
            PracticeProfile, {"organisation": world.organisations[key]}, values
        )
        world.count("directory profiles", created=created, changed=changed)
    actions.recompute_metrics(plan_next=True)
