"""Medication changes on the client's timeline."""

from __future__ import annotations

from django.urls import reverse

from tandem.care.medications.models import MedicationEvent
from tandem.care.medications.selectors import dose_line
from tandem.consent.categories import Category
from tandem.core.timeline import Item, Kind, Query, by_fields, by_line


def medication_changes(query: Query) -> list[Item]:
    """Return every medication change as the viewer may see it."""
    gate = query.gate
    items: list[Item] = []
    # Every change links to the client's one medications page: reversed once.
    link = reverse("care:medications", kwargs={"client_id": query.client.public_id})
    for med in query.window(
        MedicationEvent.objects.filter(client=query.client)
        .select_related("prescriber", "organisation")
        .only(
            "public_id",
            "reference",
            "occurred_at",
            "change",
            "drug",
            "dose",
            "unit",
            "frequency",
            "reason",
            "watch_for",
            *by_fields("prescriber", "organisation"),
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
                link,
                pk=med.pk,
            )
        )
    return items
