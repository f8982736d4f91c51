"""Medication changes on the client's timeline."""

from __future__ import annotations

from django.urls import reverse

from tandem.care.medications.models import MedicationEvent
from tandem.care.medications.selectors import dose_line
from tandem.consent.categories import Category
from tandem.core.timeline import Item, Kind, Query, by_line


def medication_changes(query: Query) -> list[Item]:
    """Return every medication change as the viewer may see it."""
    gate = query.gate
    items: list[Item] = []
    for med in query.window(
        MedicationEvent.objects.filter(client=query.client).select_related(
            "prescriber", "organisation"
        ),
        "occurred_at",
        Kind.MEDICATION,
    ):
        decision = gate(
            Category.MEDICATIONS,
            med.organisation_id,
            med.prescriber_id,
            obj=med,
            description=f"Medication update {med.reference}",
        )
        items.append(
            Item(
                Kind.MEDICATION,
                med.occurred_at,
                f"Medication {med.get_change_display().lower()}",
                med.reference,
                by_line(med.prescriber, med.organisation),
                decision,
                [
                    ("Medication", med.drug),
                    ("Dose", dose_line(med)),
                    ("Reason", med.reason),
                    ("Watch for", med.watch_for),
                ],
                reverse("care:medications", kwargs={"client_id": query.client.public_id}),
                pk=med.pk,
            )
        )
    return items
