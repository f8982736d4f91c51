"""Reads of secure messages, gated by consent for the viewer, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from tandem.care.messaging.models import Message, MessageThread
from tandem.clients.access import seat
from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.decision import Decision
from tandem.consent.timeline import Gate


@dataclass
class ShownMessage:
    message: Message
    decision: Decision | None
    read_by: list[str]
    overdue: bool

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed


@dataclass
class ShownThread:
    """A thread as one viewer may see it: its subject only when consent lets it reach them."""

    thread: MessageThread
    decision: Decision | None

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def title(self) -> str:
        return self.thread.subject if self.shown else f"Thread {self.thread.reference}"


def _with_origin(threads: models.QuerySet[MessageThread]) -> models.QuerySet[MessageThread]:
    first = Message.objects.filter(thread=OuterRef("pk")).order_by("created_at", "pk")
    return threads.annotate(origin_org_id=Subquery(first.values("organisation_id")[:1]))


def shown_thread(viewer: Any, thread: MessageThread) -> ShownThread:
    """Return one thread with its subject gated like its first message."""
    return shown_threads(viewer, thread.client, MessageThread.objects.filter(pk=thread.pk))[0]


def shown_threads(
    viewer: Any, client: Client, threads: models.QuerySet[MessageThread] | None = None
) -> list[ShownThread]:
    """Return the client's threads for the viewer, newest first.

    A subject is written by a clinician of one organisation and can say as much
    as a message, so it is gated under "messages between clinicians" from the
    organisation of the thread's first message, with the reference in its place.
    """
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    rows = _with_origin(
        threads if threads is not None else MessageThread.objects.filter(client=client)
    ).select_related("started_by")
    shown = []
    for t in rows:
        origin: int | None = getattr(t, "origin_org_id", None)  # annotated above
        decision = (
            gate(
                Category.CLINICIAN_MESSAGES,
                origin,
                t.started_by_id,
                obj=t,
                description=f"Subject of message thread {t.reference}",
            )
            if origin is not None
            else None
        )
        shown.append(ShownThread(t, decision))
    gate.account()
    return shown


def thread_messages(
    viewer: Any, thread: MessageThread, *, account: bool = True
) -> list[ShownMessage]:
    """Return the thread's messages for the viewer: gated, with read receipts and due state.

    With ``account`` (the thread's page shows them) the first showing of each is accounted.
    """
    member = seat(viewer, thread.client)
    gate = Gate(viewer, thread.client, member.organisation_id if member else None)
    now = timezone.now()
    result = []
    for msg in (
        thread.messages.select_related("author", "organisation")
        .prefetch_related("attachments", "reads__user")
        .order_by("created_at", "pk")
    ):
        result.append(
            ShownMessage(
                msg,
                gate(
                    Category.CLINICIAN_MESSAGES,
                    msg.organisation_id,
                    msg.author_id,
                    obj=msg if account else None,
                    description=f"Clinician message in thread {thread.reference}",
                ),
                [r.user.display_name for r in msg.reads.all() if r.user_id != msg.author_id],
                bool(
                    msg.is_question and msg.answered_at is None and msg.due_at and msg.due_at < now
                ),
            )
        )
    gate.account()
    return result


def median_response_hours(organisation_id: int, since: dt.datetime | None = None) -> float | None:
    """Return the practice's median time to answer a clinician's question, in hours (None if none)."""
    qs = Message.objects.filter(
        is_question=True, answered_by_organisation_id=organisation_id, answered_at__isnull=False
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    durations = [
        (answered - asked).total_seconds() / 3600
        for asked, answered in qs.values_list("created_at", "answered_at")
        if answered is not None
    ]
    return round(statistics.median(durations), 1) if durations else None
