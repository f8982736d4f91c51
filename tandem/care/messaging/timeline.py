"""Clinicians' messages on the client's timeline."""

from __future__ import annotations

from tandem.care.messaging.models import Message
from tandem.consent.categories import Category
from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, by_fields, by_line


def messages(query: Query) -> list[Item]:
    """Return every message of the client's threads as the viewer may see it."""
    gate = query.gate
    items: list[Item] = []
    thread_url = per_id("care:thread")  # the kind's many rows: reversed once
    for msg in query.window(
        Message.objects.filter(client=query.client)
        .select_related("author", "organisation", "thread")
        .only(
            "public_id",
            "created_at",
            "is_question",
            "body",
            "thread__public_id",
            "thread__reference",
            "thread__subject",
            *by_fields("author", "organisation"),
        ),
        "created_at",
        Kind.MESSAGE,
    ):
        decision = gate(
            Category.CLINICIAN_MESSAGES,
            msg.organisation_id,
            msg.author_id,
            obj=msg,
            description=f"Clinician message in thread {msg.thread.reference}",
        )
        items.append(
            Item(
                Kind.MESSAGE,
                msg.created_at,
                "Question" if msg.is_question else "Message",
                msg.thread.reference,
                by_line(msg.author, msg.organisation),
                decision,
                [("Thread", msg.thread.subject), ("Message", msg.body)],
                thread_url(msg.thread.public_id),
                pk=msg.pk,
            )
        )
    return items
