"""Questionnaire results and case reviews on the client's timeline (``tandem.core.timeline``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import router
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_str

from tandem.consent.categories import Category
from tandem.core.links import per_id
from tandem.core.timeline import ByRows, Item, Kind, Query, Source
from tandem.measures.models import CaseReview, QuestionnaireResponse

#: A case review's recommendations are the psychiatric consultant's advice on the
#: treatment plan, the same kind of information as the initial consultation note's
#: recommendations, so they travel under "consultation notes". ("Progress updates"
#: is the therapist's report of how the client is doing, going the other way.)
#: (``tandem.measures.actions.record_case_review`` discloses them under the same one.)
CASE_REVIEW_CATEGORY = Category.CONSULT_NOTES


#: How a result's and a review's rows are read (tuples) and built (instance and by-line).
_RESULT_FIELDS = ("public_id", "instrument", "total", "band", "flags", "source", "entered_at")
_REVIEW_FIELDS = ("public_id", "reviewed_at", "recommendations")


@cache
def _results() -> ByRows[QuestionnaireResponse]:
    return ByRows(QuestionnaireResponse, _RESULT_FIELDS, "entered_by", "organisation")


@cache
def _reviews() -> ByRows[CaseReview]:
    return ByRows(CaseReview, _REVIEW_FIELDS, "reviewed_by", "organisation")


def _result_rows(query: Query) -> QuerySet[Any]:
    reader = _results()
    return reader.values(
        query.window(
            QuestionnaireResponse.objects.filter(client=query.client),
            "entered_at",
            Kind.QUESTIONNAIRE,
        )
    )


def _result_items(query: Query, rows: list[tuple[Any, ...]]) -> list[Item]:
    gate = query.gate
    items: list[Item] = []
    reader = _results()
    db = router.db_for_read(QuestionnaireResponse)
    response_url = per_id("measures:response")  # the kind's many rows: reversed once
    # ``get_source_display()``'s labels, looked up once (it rebuilt the dict per row)
    sources = dict(QuestionnaireResponse._meta.get_field("source").flatchoices)
    for row in rows:
        r, by = reader.build(row, db)
        decision = gate(
            Category.QUESTIONNAIRES,
            r.organisation_id,
            r.entered_by_id,
            obj=r,
            description=f"{r.instrument_name} result",
        )
        shown = decision is None or decision.allowed
        if r.total is None:
            score = "Incomplete: not enough answers to score"
        else:
            score = f"{r.total}" + (f" ({r.band})" if r.band else "")
        items.append(
            Item(
                Kind.QUESTIONNAIRE,
                r.entered_at,
                # Even the instrument's name says something (AUDIT-C, PCL-5): withheld, it goes.
                f"{r.instrument_name} result" if shown else "Questionnaire result",
                by=by,
                decision=decision,
                lines=[
                    ("Score", score),
                    ("Safety", r.safety_note[:1].upper() + r.safety_note[1:]),
                    (
                        "How given",
                        force_str(sources.get(r.source, r.source), strings_only=True),
                    ),
                ],
                link=response_url(r.public_id),
                pk=r.pk,
            )
        )
    return items


def _review_rows(query: Query) -> QuerySet[Any]:
    reader = _reviews()
    return reader.values(
        query.window(
            CaseReview.objects.filter(client=query.client), "reviewed_at", Kind.CASE_REVIEW
        )
    )


def _review_items(query: Query, rows: list[tuple[Any, ...]]) -> list[Item]:
    gate = query.gate
    items: list[Item] = []
    reader = _reviews()
    db = router.db_for_read(CaseReview)
    reviews_url = (
        reverse("measures:client", kwargs={"client_id": query.client.public_id}) + "#reviews"
    )
    for row in rows:
        review, by = reader.build(row, db)
        items.append(
            Item(
                Kind.CASE_REVIEW,
                review.reviewed_at,
                "Case review recommendations",
                by=by,
                decision=gate(
                    CASE_REVIEW_CATEGORY,
                    review.organisation_id,
                    review.reviewed_by_id,
                    obj=review,
                    description="Case review recommendations",
                ),
                lines=[("Recommendations", review.recommendations)],
                link=reviews_url,
                pk=review.pk,
            )
        )
    return items


#: The client's questionnaire results and case reviews as the viewer may see them: two
#: sources, read with the other value sources in one statement (``core.timeline.read_together``).
questionnaire_results = Source(
    Kind.QUESTIONNAIRE, _result_rows, _result_items, at="entered_at", pk="id"
)
case_reviews = Source(Kind.CASE_REVIEW, _review_rows, _review_items, at="reviewed_at", pk="id")


def results_and_reviews(query: Query) -> list[Item]:
    """Return the client's questionnaire results and case reviews as the viewer may see them."""
    items: list[Item] = []
    for source in (questionnaire_results, case_reviews):
        if source.kind in query.wanted:
            items += source(query)
    return items
