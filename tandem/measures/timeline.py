"""Questionnaire results and case reviews on the client's timeline (``tandem.core.timeline``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.encoding import force_str

from tandem.consent.categories import Category
from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, rows_by
from tandem.measures.models import CaseReview, QuestionnaireResponse

#: A case review's recommendations are the psychiatric consultant's advice on the
#: treatment plan, the same kind of information as the initial consultation note's
#: recommendations, so they travel under "consultation notes". ("Progress updates"
#: is the therapist's report of how the client is doing, going the other way.)
#: (``tandem.measures.actions.record_case_review`` discloses them under the same one.)
CASE_REVIEW_CATEGORY = Category.CONSULT_NOTES


def results_and_reviews(query: Query) -> list[Item]:
    """Return the client's questionnaire results and case reviews as the viewer may see them."""
    client, gate, wanted = query.client, query.gate, query.wanted
    items: list[Item] = []
    if Kind.QUESTIONNAIRE in wanted:
        response_url = per_id("measures:response")  # the kind's many rows: reversed once
        # ``get_source_display()``'s labels, looked up once (it rebuilt the dict per row)
        sources = dict(QuestionnaireResponse._meta.get_field("source").flatchoices)
        for r, by in rows_by(
            query.window(
                QuestionnaireResponse.objects.filter(client=client),
                "entered_at",
                Kind.QUESTIONNAIRE,
            ),
            ("public_id", "instrument", "total", "band", "flags", "source", "entered_at"),
            "entered_by",
            "organisation",
        ):
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
    if Kind.CASE_REVIEW in wanted:
        reviews_url = (
            reverse("measures:client", kwargs={"client_id": client.public_id}) + "#reviews"
        )
        for review, by in rows_by(
            query.window(CaseReview.objects.filter(client=client), "reviewed_at", Kind.CASE_REVIEW),
            ("public_id", "reviewed_at", "recommendations"),
            "reviewed_by",
            "organisation",
        ):
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
