"""The shared timeline: every item the viewer may see, withheld ones with the reason, pinned queries."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.care import selectors
from tandem.care.crisis import actions as crisis_actions
from tandem.care.medications import actions as medication_actions
from tandem.care.messaging import actions as message_actions
from tandem.care.models import (
    CheckInStatus,
    ConsultNote,
    MedicationChange,
    MedicationEvent,
    Message,
    MessageThread,
    NoteStatus,
    ProgressCheckIn,
    SafetyAlert,
)
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.clients.access import seat
from tandem.clients.models import CareTeamMember
from tandem.consent import timeline as consent_timeline
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.consent.timeline import Gate
from tandem.core import timeline as core_timeline
from tandem.core.timeline import Cursor, Kind, Query, compose
from tandem.measures import actions as measures_actions
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import CaseReview, QuestionnaireResponse
from tandem.measures.tests.factories import answers_totalling
from tandem.notifications.models import Notification
from tandem.referrals.models import Referral
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db


def bulk_items(world: CareWorld, count: int) -> None:
    """Create ``count`` items spread over seven kinds, without going through the actions."""
    now = timezone.now()
    share, extra = divmod(count, 7)
    med, note, msg, checkin, alert, result, review = (
        share + (1 if i < extra else 0) for i in range(7)
    )
    MedicationEvent.objects.bulk_create(
        MedicationEvent(
            client=world.client,
            prescriber=world.prescriber,
            organisation=world.psychiatry,
            change=MedicationChange.START,
            drug="sertraline",
            dose=Decimal("25"),
            unit="mg",
            frequency="daily",
            occurred_at=now - dt.timedelta(minutes=i),
        )
        for i in range(med)
    )
    ConsultNote.objects.bulk_create(
        ConsultNote(
            client=world.client,
            author=world.prescriber,
            organisation=world.psychiatry,
            status=NoteStatus.SIGNED,
            diagnoses=["F41.0"],
            signed_at=now - dt.timedelta(minutes=i),
        )
        for i in range(note)
    )
    thread = MessageThread.objects.create(
        client=world.client, subject="Plan", started_by=world.therapist
    )
    Message.objects.bulk_create(
        Message(
            thread=thread,
            client=world.client,
            author=world.therapist,
            organisation=world.therapy,
            body="How is sleep?",
            created_at=now - dt.timedelta(minutes=i),
        )
        for i in range(msg)
    )
    ProgressCheckIn.objects.bulk_create(
        ProgressCheckIn(
            client=world.client,
            therapist=world.therapist,
            organisation=world.therapy,
            unsolicited=True,
            status=CheckInStatus.ANSWERED,
            change="better",
            functioning="Back at work.",
            engagement="full",
            requested_at=now,
            answered_at=now - dt.timedelta(minutes=i),
        )
        for i in range(checkin)
    )
    SafetyAlert.objects.bulk_create(
        SafetyAlert(
            client=world.client,
            raised_by=world.therapist,
            organisation=world.therapy,
            level="concern",
            source="clinician",
            summary="Passive ideation.",
            raised_at=now - dt.timedelta(minutes=i),
            ack_due_at=now,
        )
        for i in range(alert)
    )
    phq9 = INSTRUMENTS["phq-9"]
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(
            client=world.client,
            instrument="phq-9",
            instrument_version=phq9.version,
            answers=[1] * 9,
            total=9,
            band="mild",
            positive=False,
            complete=True,
            source="clinician",
            organisation=world.psychiatry,
            entered_by=world.prescriber,
            entered_at=now - dt.timedelta(minutes=i),
            idempotency_key=f"bulk-{now.timestamp()}-{i}",
        )
        for i in range(result)
    )
    CaseReview.objects.bulk_create(
        CaseReview(
            client=world.client,
            organisation=world.psychiatry,
            reviewed_by=world.prescriber,
            reviewed_at=now - dt.timedelta(minutes=i),
            recommendations="Raise sertraline to 100 mg.",
        )
        for i in range(review)
    )


def test_each_viewer_sees_the_other_practices_items_only_as_far_as_the_release_goes():
    # Given a release covering medications only, and a note and a medication from the practice
    world = CareWorld(release=False)
    world.collaboration_release(categories=[Category.MEDICATIONS])
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    medication_actions.record_medication(
        actor=world.prescriber,
        client=world.client,
        change=MedicationChange.START,
        drug="sertraline",
        dose="25",
        unit="mg",
        frequency="once daily",
        watch_for="Activation, sleep change.",
    )

    # When the therapist reads the timeline
    items = selectors.timeline(world.therapist, world.client)

    # Then the medication shows, and the note stays on the timeline as withheld with the reason
    by_kind = {i.kind: i for i in items}
    assert by_kind["medication"].shown
    assert ("Watch for", "Activation, sleep change.") in by_kind["medication"].lines
    assert not by_kind["consult_note"].shown
    assert by_kind["consult_note"].withheld_label == (
        "Withheld — no current release covers consultation notes. "
        "The release does not cover this kind of information."
    )
    # And the prescriber sees their own note
    mine = {i.kind: i for i in selectors.timeline(world.prescriber, world.client)}
    assert mine["consult_note"].shown


def test_the_page_shows_withheld_lines_and_filters_by_kind_with_a_fragment_for_htmx():
    world = CareWorld(release=False)
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Texted a goodbye message."
    )
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})

    page = http(world.therapist).get(path)
    filtered = http(world.therapist).get(
        path + "?kind=consult_note", headers={"HX-Request": "true"}
    )

    assert page.status_code == 200
    body = text(page)
    assert (
        "Withheld — no current release covers consultation notes. No release from the client covers this."
        in body
    )
    assert "Texted a goodbye message." in body  # the therapist's own alert
    assert filtered.status_code == 200
    fragment = filtered.content.decode()
    assert "<html" not in fragment
    assert 'data-kind="consult_note"' in fragment
    assert 'data-kind="safety"' not in fragment
    # The prescriber sees the alert exists, its details withheld (no release covers safety)
    prescriber_view = text(http(world.prescriber).get(path))
    assert "Safety alert — Urgent: needs a response within the hour" in prescriber_view
    assert "Texted a goodbye message." not in prescriber_view
    assert "Withheld — no current release covers safety and risk information." in prescriber_view


def test_a_therapist_who_leaves_the_care_team_loses_access_to_new_items_at_once():
    world = CareWorld()
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    assert http(world.therapist).get(path).status_code == 200

    CareTeamMember.objects.filter(user=world.therapist).update(ended_on=timezone.localdate())
    _event, result = medication_actions.record_medication(
        actor=world.prescriber,
        client=world.client,
        change=MedicationChange.START,
        drug="bupropion",
        dose="150",
        unit="mg",
        frequency="every morning",
    )

    assert http(world.therapist).get(path).status_code == 404
    assert result.delivered == []
    assert result.held == []
    assert not Notification.objects.filter(
        recipient=world.therapist, kind="medication_update"
    ).exists()
    assert (
        http(world.therapist)
        .get(reverse("care:medications", kwargs={"client_id": world.client.public_id}))
        .status_code
        == 404
    )


def test_the_timeline_page_runs_the_same_queries_for_10_and_1000_items(django_assert_num_queries):
    world = CareWorld()
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    bulk_items(world, 10)
    viewer = http(world.therapist)
    with CaptureQueriesContext(connection) as small:
        page = viewer.get(path)
    assert page.content.decode().count('data-kind="') == 10
    assert page.content.decode().count('data-kind="case_review"') == 1

    bulk_items(world, 990)
    with django_assert_num_queries(len(small)):
        page = viewer.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    # (a page shows the newest 50; the rest are behind "Older")
    assert body.count('data-kind="') == PAGE
    # A deep page (after the 900th item) costs the same queries as the first
    everything = selectors.timeline(world.therapist, world.client, account=False)
    deep_cursor = selectors.Cursor.of(everything[899], older=True).token()
    with django_assert_num_queries(len(small)):
        deep = viewer.get(path + "?at=" + deep_cursor)
    assert deep.content.decode().count('data-kind="') == PAGE
    assert _times(deep.content.decode()) == [
        timezone.localtime(i.at).isoformat() for i in everything[900:950]
    ]


PAGE = 50


def _links(body: str) -> dict[str, str]:
    """Return the page's "Newer" and "Older" links by name."""
    return dict(
        (name, query.replace("&amp;", "&"))
        for query, name in re.findall(
            r'<a href="\?((?:kind=\w+&amp;)?at=[\w-]+)"[^>]*>(\w+)</a>', body
        )
    )


def _times(body: str) -> list[str]:
    """Return the moments of the items shown (not the client header's date of birth)."""
    return re.findall(r'<time datetime="([^"]+T[^"]+)"', body)


def test_the_timeline_comes_in_pages_of_50_newest_first_and_accounts_only_what_it_shows():
    # Given 130 items of seven kinds (most the prescriber's, shown to the therapist
    # under the release, many at the same moment as items of other kinds), and the
    # timeline as it was before it had pages
    world = CareWorld()
    bulk_items(world, 130)
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    everything = [i.at for i in selectors.timeline(world.therapist, world.client, account=False)]
    assert not Disclosure.objects.exists()
    viewer = http(world.therapist)

    # When the therapist opens the timeline, then follows "Older" to the end
    first = viewer.get(path).content.decode()
    accounted_after_first = Disclosure.objects.count()
    second = viewer.get(path + "?" + _links(first)["Older"]).content.decode()
    third = viewer.get(path + "?" + _links(second)["Older"]).content.decode()

    # Then each page shows the next 50 items in the same order as the whole list
    assert first.count('data-kind="') == PAGE
    assert third.count('data-kind="') == 30
    shown = _times(first) + _times(second) + _times(third)
    assert shown == [timezone.localtime(at).isoformat() for at in everything]
    assert list(_links(first)) == ["Older"]
    assert list(_links(second)) == ["Newer", "Older"]
    assert list(_links(third)) == ["Newer"]
    # And "Newer" goes back the same way
    assert _times(viewer.get(path + "?" + _links(third)["Newer"]).content.decode()) == _times(
        second
    )
    assert _times(viewer.get(path + "?" + _links(second)["Newer"]).content.decode()) == _times(
        first
    )
    # And the links say nothing of the record: no date, no kind, no row id in the clear
    for body in (first, second, third):
        for link in _links(body).values():
            assert str(everything[0].year) not in link
            assert "medication" not in link
    # And only what a page showed was accounted: the first page accounted some, not all,
    # and walking every page accounted everything the whole list would have
    assert 0 < accounted_after_first < Disclosure.objects.count()
    selectors.timeline(world.therapist, world.client)  # the whole list, accounted
    assert Disclosure.objects.count() == len(set(Disclosure.objects.values_list("object_id")))
    walked = Disclosure.objects.count()
    selectors.timeline(world.therapist, world.client)
    assert Disclosure.objects.count() == walked


def test_the_older_link_keeps_the_kind_filter():
    world = CareWorld()
    bulk_items(world, 7 * 60)
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    first = http(world.therapist).get(path + "?kind=medication").content.decode()

    page = http(world.therapist).get(path + "?" + _links(first)["Older"]).content.decode()

    assert _links(first)["Older"].startswith("kind=medication&at=")
    assert page.count('data-kind="medication"') == 10
    assert page.count('data-kind="') == 10
    assert list(_links(page)) == ["Newer"]
    assert _links(page)["Newer"].startswith("kind=medication&at=")


def test_a_cursor_that_is_not_ours_opens_the_newest_page():
    world = CareWorld()
    bulk_items(world, 70)
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    viewer = http(world.therapist)
    newest = _times(viewer.get(path).content.decode())

    for bad in ("2026-01-01", "x" * 500, "gAAAAAB-tampered", "%00"):
        page = viewer.get(path, {"at": bad})
        assert page.status_code == 200
        assert _times(page.content.decode()) == newest


def test_questionnaire_results_and_case_reviews_join_the_timeline_as_far_as_consent_goes(client):
    # Given a release for collaboration that leaves questionnaire results out, a PHQ-9 the
    # practice collected (item 9 above 0) and a case review the prescriber recorded
    world = CareWorld()
    measures_actions.record_response(
        world.prescriber, world.client, "phq-9", answers_totalling(14, item9=1),
        source="clinician", idempotency_key="timeline-1", organisation=world.psychiatry,
    )  # fmt: skip
    measures_actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Raise sertraline to 100 mg."
    )

    # When the therapist reads the timeline
    items = selectors.timeline(world.therapist, world.client)

    # Then the review shows (shared as a consultation note) and the result is withheld,
    # without even the instrument's name
    by_kind = {i.kind: i for i in items}
    assert by_kind["case_review"].shown
    assert by_kind["case_review"].title == "Case review recommendations"
    assert by_kind["case_review"].by == f"{world.prescriber.display_name}, {world.psychiatry.name}"
    assert ("Recommendations", "Raise sertraline to 100 mg.") in by_kind["case_review"].lines
    assert not by_kind["questionnaire"].shown
    assert by_kind["questionnaire"].title == "Questionnaire result"
    assert by_kind["questionnaire"].withheld_label.startswith(
        "Withheld — no current release covers questionnaire results."
    )
    # And the prescriber sees their own practice's result in full
    mine = {i.kind: i for i in selectors.timeline(world.prescriber, world.client)}
    assert mine["questionnaire"].title == "PHQ-9 result"
    assert ("Score", "14 (moderate)") in mine["questionnaire"].lines
    assert ("Safety", "Suicide item positive") in mine["questionnaire"].lines

    # When the client releases questionnaire results too, and the therapist filters by kind
    world.collaboration_release(categories=[Category.QUESTIONNAIRES])
    client.force_login(world.therapist)
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    fragment = client.get(path + "?kind=questionnaire", headers={"HX-Request": "true"})

    # Then only the result shows, in full
    body = fragment.content.decode()
    assert body.count('data-kind="') == 1
    assert 'data-kind="questionnaire"' in body
    assert "PHQ-9 result" in body
    assert "14 (moderate)" in body


def test_a_case_review_is_withheld_from_the_therapist_without_a_release_for_consult_notes():
    world = CareWorld(release=False)
    world.collaboration_release(categories=[Category.MEDICATIONS])
    measures_actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Order a sleep study."
    )

    (item,) = selectors.timeline(world.therapist, world.client, ["case_review"])

    assert not item.shown
    assert item.withheld_label.startswith(
        "Withheld — no current release covers consultation notes."
    )


def test_a_message_on_the_timeline_keeps_its_line_breaks_and_shows_markup_as_text():
    # Given a message whose body has line breaks and something that looks like markup
    # (the page formats each fact in Python before the template prints it)
    world = CareWorld()
    message_actions.start_thread(
        actor=world.prescriber,
        client=world.client,
        subject="Sleep <and> mood",
        body='<script>alert("x")</script> Sleep & mood better\nStill tired',
    )
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})

    # When the therapist opens the timeline
    body = http(world.therapist).get(path).content.decode()

    # Then the message reads as written, each line on its own, the markup as text
    assert (
        "<dt>Thread</dt><dd>Sleep &lt;and&gt; mood</dd><dt>Message</dt>"
        "<dd>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Sleep &amp; mood better<br>"
        "Still tired</dd>"
    ) in body
    assert "<script>alert" not in body


def _seen(items: list[selectors.Item]) -> list[tuple]:
    """Return everything of the items a page prints or links, with the decision's reason."""
    return [
        (i.kind, i.pk, i.at, i.title, i.reference, i.by, i.lines, i.link, i.shown,
         i.withheld_label, getattr(i.decision, "reason", None))
        for i in items
    ]  # fmt: skip


def _accounted(gate: Gate) -> list[tuple]:
    return [(type(s.obj).__name__, s.obj.pk, s.description, s.basis) for s in gate.shown]


def test_skipping_the_kinds_a_client_has_no_row_of_shows_and_accounts_the_same(monkeypatch):
    # Given clients with no item, with items of two kinds, and with items of every kind
    # (withheld ones among them: no release covers questionnaire results or safety)
    sparse, full, empty = CareWorld(), CareWorld(), CareWorld(release=False)
    message_actions.start_thread(
        actor=sparse.prescriber, client=sparse.client, subject="Sleep", body="Better?"
    )
    medication_actions.record_medication(
        actor=sparse.prescriber, client=sparse.client, change=MedicationChange.START,
        drug="sertraline", dose="25", unit="mg", frequency="daily",
    )  # fmt: skip
    bulk_items(full, 130)
    crisis_actions.raise_safety_alert(full.prescriber, full.client, "urgent", "Goodbye text.")

    def read(world: CareWorld, viewer, wanted, newest, cursor) -> tuple[list, list]:
        member = seat(viewer, world.client)
        gate = Gate(viewer, world.client, member.organisation_id if member else None)
        items = compose(Query(world.client, gate, wanted, newest=newest, cursor=cursor))
        return _seen(items), _accounted(gate)

    everything = frozenset(Kind.values)
    cases = []
    for world in (empty, sparse, full):
        for viewer in (world.therapist, world.prescriber):
            whole = compose(Query(world.client, Gate(viewer, world.client, None), everything))
            pages: list[tuple[int | None, Cursor | None]] = [(None, None), (51, None)]
            if len(whole) > 60:
                pages += [(51, Cursor.of(whole[40], older=True))]
                pages += [(51, Cursor.of(whole[90], older=False))]
            for wanted in (everything, frozenset({Kind.MEDICATION, Kind.APPOINTMENT})):
                cases += [(world, viewer, wanted, *page) for page in pages]

    # When each is composed with the check of which kinds have rows, and without it
    # (every provider asked, as before)
    checked = [read(*case) for case in cases]
    monkeypatch.setattr(core_timeline, "_tables", {})
    asked = [read(*case) for case in cases]

    # Then the items, their decisions and what is accounted as shown are the same
    assert checked == asked
    assert any(items for items, _ in checked)
    assert any(shown for _, shown in checked)
    assert any(not item[8] for items, _ in checked for item in items)  # withheld ones too


#: Request (3: session, user with their client record and whether an alert may wait for
#: them, memberships); the reader's seat with its client (1) and the audited read (5 on
#: SQLite, 4 on PostgreSQL); the consent context with which kinds the client has rows of
#: (1: releases, parties, the treatment-exception practices and the kinds in one
#: statement, was 4); one query per kind with rows (the referral steps, results and
#: reviews together: one for any of them); which of those shown are already in the
#: client's accounting (1). No open-alert banner query: no alert may wait for the reader.
TIMELINE_QUERIES_BEYOND_KINDS = 11 - fewer_on_postgresql()


def test_the_timeline_page_asks_only_the_sources_of_kinds_the_client_has(
    django_assert_num_queries,
):
    # Given a client whose record holds a message and a medication change, nothing else
    world = CareWorld()
    bulk_items(world, 3)  # one medication change, one note, one message
    ConsultNote.objects.filter(client=world.client).delete()
    assert not Referral.objects.filter(client=world.client).exists()
    path = reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    viewer = http(world.therapist)
    assert viewer.get(path).status_code == 200

    # When the therapist opens the timeline
    with django_assert_num_queries(TIMELINE_QUERIES_BEYOND_KINDS + 2) as captured:
        body = viewer.get(path).content.decode()

    # Then the two kinds' sources ran, and no other kind's table was read beyond the one
    # check of which kinds have rows
    assert body.count('data-kind="medication"') == body.count('data-kind="message"') == 1
    assert body.count('data-kind="') == 2
    # (safety alerts aside: every page's open-alert banner reads them)
    for table in (
        "referrals_referral", "scheduling_appointment", "care_consultnote", "care_progresscheckin",
        "measures_questionnaireresponse", "measures_casereview",
    ):  # fmt: skip
        reads = [q["sql"] for q in captured if f'"{table}"' in q["sql"]]
        assert len(reads) == 1, (table, reads)
        # (the check, in the consent context's statement)
        assert reads[0].startswith("WITH weighed AS"), (table, reads)
        assert reads[0].count(f'EXISTS (SELECT 1 FROM "{table}" WHERE') == 1, (table, reads)  # noqa: S608
    assert not [q for q in captured if "referrals_referralevent" in q["sql"]]


def test_the_gate_judges_each_practice_and_author_once_and_gives_each_item_its_own_decision(
    monkeypatch,
):
    # Given 70 items of the prescriber's practice of four kinds (and the therapist's own)
    world = CareWorld()
    bulk_items(world, 70)
    judged: list[str] = []
    decide = consent_timeline.decide

    def counted(*args, **kwargs):
        judged.append(kwargs["category"])
        return decide(*args, **kwargs)

    monkeypatch.setattr(consent_timeline, "decide", counted)
    member = seat(world.therapist, world.client)
    assert member is not None
    gate = Gate(world.therapist, world.client, member.organisation_id)

    # When the therapist's gate judges them all
    items = compose(Query(world.client, gate, frozenset(Kind.values)))

    # Then each category from the one author was decided once, and every item of another
    # practice still has a decision object of its own (a page keeps what it shows by it)
    others = [i for i in items if i.decision is not None]
    assert len(others) == 40
    assert sorted(judged) == sorted(
        {Category.MEDICATIONS, Category.CONSULT_NOTES, Category.QUESTIONNAIRES}
    )
    assert len({id(i.decision) for i in others}) == len(others)
    # (the release leaves questionnaire results out: those ten withheld, the rest shown)
    assert sorted(i.kind for i in others if not i.shown) == [Kind.QUESTIONNAIRE] * 10


#: The item loop as ``timeline.html`` wrote it before the items were formatted in Python
#: (``care.views._item_rows``), over the dicts the view's ``_rows`` made for it then
#: (``_template_rows`` below): the reference the Python's HTML must equal, byte for byte.
TEMPLATE_TIMELINE_ITEMS = """\
{% for item in items %}
  <li class="card" data-kind="{{ item.kind }}"{% if not item.shown %} data-withheld{% endif %}>
    <h2 class="referral-title">{% if item.link %}<a href="{{ item.link }}">{{ item.title }}</a>{% else %}{{ item.title }}{% endif %}{% if item.reference %} <span class="tag">{{ item.reference }}</span>{% endif %}</h2>
    <p class="muted"><time datetime="{{ item.datetime }}">{{ item.when }}</time>{% if item.by %} · {{ item.by }}{% endif %} · {{ item.kind_label }}</p>
    {% if item.shown %}
      {% if item.facts %}<dl class="facts">{% for label, value in item.lines %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>{% endif %}
    {% else %}
      <p class="message message-warning" data-withheld-reason="{{ item.reason }}">{{ item.withheld_label }}</p>
    {% endif %}
  </li>
{% empty %}
  <li class="muted">Nothing here yet.</li>
{% endfor %}"""


def _template_rows(items: list[selectors.Item]) -> list[dict]:
    """The view's ``_rows`` as it was: each item's values for ``TEMPLATE_TIMELINE_ITEMS``."""
    from django.template.defaultfilters import linebreaksbr
    from django.utils.formats import date_format

    rows = []
    for item in items:
        shown = item.shown
        at = timezone.localtime(item.at)
        rows.append(
            {
                "kind": item.kind,
                "shown": shown,
                "link": item.link if shown else "",
                "title": item.title,
                "reference": item.reference,
                "datetime": at.isoformat(),
                "when": date_format(at, "D j M Y, H:i"),
                "by": item.by,
                "kind_label": dict(Kind.choices)[item.kind],
                "facts": bool(item.lines),
                "lines": [
                    (label, linebreaksbr(value, autoescape=True))
                    for label, value in item.lines
                    if value
                ]
                if shown
                else [],
                "reason": item.decision.reason if not shown else "",
                "withheld_label": item.withheld_label,
            }
        )
    return rows


def test_the_timeline_items_are_the_html_the_template_wrote():
    from dataclasses import replace

    from django.template import engines
    from django.utils import translation
    from django.utils.safestring import mark_safe

    from tandem.care import views

    # Given items of every kind (referral steps, appointments, a draft, withheld ones: the
    # release covers medications only), a message with markup and line breaks of each
    # sort, a safety alert, and hand-made items: no link, no author, no reference, no
    # facts, only empty facts, a fact already HTML, markup in every text
    world = CareWorld(release=False)
    world.collaboration_release(categories=[Category.MEDICATIONS])
    world.accepted()
    bulk_items(world, 14)
    world.draft_note()
    message_actions.start_thread(
        actor=world.prescriber, client=world.client, subject='Sleep <and> "mood"',
        body="<b>Better</b> & calmer\r\nStill tired\rWaking at 4\n\nDone",
    )  # fmt: skip
    crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Goodbye text.")
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="follow-up", name="Follow-up & <review>",
        duration_minutes=30,
    )  # fmt: skip
    starts = timezone.now() - dt.timedelta(days=3)
    Appointment.objects.create(
        organisation=world.psychiatry, prescriber=world.prescriber, client=world.client,
        appointment_type=kind, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
        blocked_until=starts + dt.timedelta(minutes=30), status=AppointmentStatus.COMPLETED,
    )  # fmt: skip
    pages = {
        viewer: selectors.timeline(viewer, world.client, account=False)
        for viewer in (world.therapist, world.prescriber)
    }
    kinds = {i.kind for items in pages.values() for i in items}
    assert kinds == set(Kind.values)
    withheld = [i for i in pages[world.therapist] if not i.shown]
    assert withheld
    made = replace(pages[world.therapist][0], kind=Kind.CHECKIN, link="", by="", reference="")
    odd = [
        replace(made, lines=[]),
        replace(made, lines=[("Notes", ""), ("Concerns", "")]),
        replace(made, lines=[("Score", mark_safe("<em>9</em>")), ("<Label>", "a & b")]),
        replace(
            made, title="<Title> & 'more'", reference='R-"1"', by="Dr <X> & Co", link="/a?b=1&c=2"
        ),
        replace(withheld[0], link="/not/shown/", by=""),
    ]

    # When the view formats them, and the template's old loop renders the same items,
    # in two time zones and two languages, and for an empty page
    loop = engines["django"].from_string(TEMPLATE_TIMELINE_ITEMS)
    compared = 0
    for zone in ("America/New_York", "Pacific/Chatham"):
        for language in ("en-us", "de"):
            with timezone.override(zone), translation.override(language):
                for items in (*pages.values(), odd, []):
                    formatted = views._item_rows(items)
                    reference = loop.render({"items": _template_rows(items)})

                    # Then the HTML is the same, byte for byte
                    assert str(formatted) == reference
                    compared += len(items)
    assert compared
    body = str(views._item_rows(pages[world.prescriber]))  # (their own message)
    assert (
        "&lt;b&gt;Better&lt;/b&gt; &amp; calmer<br>Still tired<br>Waking at 4<br><br>Done" in body
    )
    assert "<dt>Score</dt><dd><em>9</em></dd>" in str(views._item_rows(odd))


#: The filter links as ``timeline.html`` wrote them before they were formatted in Python
#: (``care.views._filters``): the reference its HTML must equal, byte for byte.
TEMPLATE_TIMELINE_FILTERS = """\
<nav aria-label="Filter the timeline" class="filters">
  <ul>
    <li><a href="{% url 'care:timeline' client.public_id %}" hx-get="{% url 'care:timeline' client.public_id %}" hx-target="#timeline-items" hx-push-url="true"{% if not kind %} aria-current="page"{% endif %}>Everything</a></li>
    {% for value, label in kinds %}
    <li><a href="?kind={{ value }}" hx-get="?kind={{ value }}" hx-target="#timeline-items" hx-push-url="true"{% if kind == value %} aria-current="page"{% endif %}>{{ label }}</a></li>
    {% endfor %}
  </ul>
</nav>"""


def test_the_timeline_filters_are_the_html_the_template_wrote():
    from django.template import engines
    from django.utils import translation

    from tandem.care import views

    # Given a client, and the filter in force: none, or each kind in turn
    world = CareWorld()
    loop = engines["django"].from_string(TEMPLATE_TIMELINE_FILTERS)
    for language in ("en-us", "de"):
        with translation.override(language):
            for kind in ("", *Kind.values):
                # When the view formats the links, and the template's old code renders them
                formatted = views._filters(world.client, kind)
                reference = loop.render(
                    {"client": world.client, "kinds": Kind.choices, "kind": kind}
                )

                # Then the HTML is the same, byte for byte, with the one in force marked
                assert str(formatted) == reference
                assert str(formatted).count('aria-current="page"') == 1
    # and the page shows them
    body = (
        http(world.therapist)
        .get(reverse("care:timeline", kwargs={"client_id": world.client.public_id}))
        .content.decode()
    )
    assert str(views._filters(world.client, "")) in body


def test_referral_steps_and_results_say_what_their_models_display():
    from tandem.measures.models import ResponseSource
    from tandem.referrals.models import ReferralEvent

    # Given an accepted referral (its steps) and a result given each way
    world = CareWorld()
    world.accepted()
    bulk_items(world, 7 * len(ResponseSource))
    for response, source in zip(
        QuestionnaireResponse.objects.filter(client=world.client), ResponseSource, strict=True
    ):
        response.source = source
        response.save(update_fields=["source"])

    for viewer in (world.therapist, world.prescriber):
        # When the viewer reads them on the timeline
        items = selectors.timeline(viewer, world.client, ["referral", "questionnaire"])

        # Then each step reads as the step, its referral and practice say, linked to the
        # referral, newest first
        events = ReferralEvent.objects.filter(referral__client=world.client).order_by("-at", "-pk")
        assert [(i.pk, i.at, i.title, i.link) for i in items if i.kind == Kind.REFERRAL] == [
            (
                ev.pk,
                ev.at,
                f"Referral to {ev.referral.to_organisation.name}: "
                f"{ev.get_to_status_display().lower()}",
                reverse("referrals:detail", args=[ev.referral.public_id]),
            )
            for ev in events
        ]
        assert len(events) >= 2
        # And each result says how it was given as its model does
        given = {i.pk: dict(i.lines)["How given"] for i in items if i.kind == Kind.QUESTIONNAIRE}
        assert given == {
            r.pk: r.get_source_display()
            for r in QuestionnaireResponse.objects.filter(client=world.client)
        }
        assert len(set(given.values())) == len(ResponseSource)


def test_a_sources_rows_from_tuples_are_the_instances_and_by_lines_the_orm_gives():
    from tandem.accounts.models import User

    # Given results entered by a person with a preferred name, one with a full name only,
    # one with neither (the email greets them), and one by nobody (intake), and a review
    world = CareWorld()
    bulk_items(world, 7 * 4)
    nameless = User.objects.create_user(email="nameless@example.org", password="x")
    world.therapist.preferred_name = "Sam <the> therapist"
    world.therapist.save(update_fields=["preferred_name"])
    for response, author in zip(
        QuestionnaireResponse.objects.filter(client=world.client).order_by("pk"),
        (world.therapist, world.prescriber, nameless, None),
        strict=True,
    ):
        response.entered_by = author
        response.save(update_fields=["entered_by"])
    fields = ("public_id", "instrument", "total", "band", "flags", "source", "entered_at")

    for model, rel, shown in (
        (QuestionnaireResponse, "entered_by", fields),
        (CaseReview, "reviewed_by", ("public_id", "reviewed_at", "recommendations")),
    ):
        qs = model.objects.filter(client=world.client).order_by("-pk")

        # When they are read as tuples, and as the ORM's instances with their relations
        rows = core_timeline.rows_by(qs, shown, rel, "organisation")
        orm = qs.select_related(rel, "organisation").only(
            *shown, *core_timeline.by_fields(rel, "organisation")
        )

        # Then each instance holds the same values, lacks the same others, and the
        # by-line is the same
        def seen(
            obj: Any, by: str, shown: tuple[str, ...] = shown, rel: str = rel
        ) -> tuple[Any, ...]:
            return (
                obj.pk,
                [getattr(obj, f) for f in shown],
                getattr(obj, f"{rel}_id"),
                obj.organisation_id,
                obj.get_deferred_fields(),
                obj._state.db,
                obj._state.adding,
                by,
            )

        assert [seen(obj, by) for obj, by in rows] == [
            seen(obj, core_timeline.by_line(getattr(obj, rel), obj.organisation)) for obj in orm
        ]
        assert rows
    bys = {by for _, by in core_timeline.rows_by(
        QuestionnaireResponse.objects.filter(client=world.client), fields, "entered_by",
        "organisation",
    )}  # fmt: skip
    assert bys == {
        f"Sam <the> therapist, {world.psychiatry.name}",
        f"{world.prescriber.display_name}, {world.psychiatry.name}",
        f"nameless@example.org, {world.psychiatry.name}",
        world.psychiatry.name,
    }


def test_the_value_sources_read_together_give_each_the_rows_of_its_own_query():
    from tandem.measures.timeline import case_reviews, questionnaire_results
    from tandem.referrals.timeline import referral_steps

    # Given a client with referral steps, results and reviews, some at the same moment
    # (the row id orders them), and a viewer of each organisation and none
    world = CareWorld()
    world.accepted()
    bulk_items(world, 7 * 30)
    tied = list(QuestionnaireResponse.objects.filter(client=world.client).order_by("pk")[:6])
    QuestionnaireResponse.objects.filter(pk__in=[r.pk for r in tied]).update(
        entered_at=tied[0].entered_at
    )
    CaseReview.objects.filter(client=world.client).update(reviewed_at=tied[0].entered_at)
    sources = [referral_steps, questionnaire_results, case_reviews]
    everything = frozenset(Kind.values)
    checked = 0
    for viewer, org_id in (
        (world.therapist, world.therapy.pk),
        (world.prescriber, world.psychiatry.pk),
        (world.therapist, None),
    ):
        gate = Gate(viewer, world.client, org_id)
        whole = compose(Query(world.client, gate, everything))
        cursors = [None, *(Cursor.of(whole[i], older=o) for i in (5, 20, 40) for o in (1, 0))]
        for cursor in cursors:
            for newest in (None, 4, 51):
                query = Query(world.client, gate, everything, newest=newest, cursor=cursor)

                # When the three sources' rows are read together (one statement)
                with CaptureQueriesContext(connection) as captured:
                    together = core_timeline.read_together(query, sources)
                assert len(captured) == 1

                # Then each source has the rows, values and order its own query gives
                for source in sources:
                    qs = source.rows(query)
                    alone = [] if qs is None else list(qs)
                    assert together[source] == alone, (source.kind, cursor, newest)
                    checked += bool(alone)
    assert checked > 50


def test_the_timeline_reads_the_value_sources_rows_in_one_statement_and_shows_the_same():
    # Given a client with referral steps, questionnaire results and case reviews, and a
    # release that lets the therapist see results and reviews (both accounted as shown)
    world = CareWorld(release=False)
    world.collaboration_release([Category.QUESTIONNAIRES, Category.CONSULT_NOTES])
    world.accepted()
    bulk_items(world, 7 * 10)
    wanted = frozenset({Kind.REFERRAL, Kind.QUESTIONNAIRE, Kind.CASE_REVIEW})
    for viewer in (world.therapist, world.prescriber):
        member = seat(viewer, world.client)

        def read(compose_=compose, viewer=viewer, member=member) -> tuple[list, list, list]:
            gate = Gate(viewer, world.client, member.organisation_id)
            with CaptureQueriesContext(connection) as captured:
                items = compose_(Query(world.client, gate, wanted, newest=51))
            return _seen(items), _accounted(gate), [q["sql"] for q in captured]

        # When the timeline is composed, and each source asked on its own as before
        items, shown, statements = read()
        saved = core_timeline._providers[:]
        try:
            core_timeline._providers[:] = [
                (kinds, (lambda q, p=p: p(q)) if isinstance(p, core_timeline.Source) else p)
                for kinds, p in saved
            ]
            alone_items, alone_shown, alone_statements = read()
        finally:
            core_timeline._providers[:] = saved

        # Then the items, decisions and accounting are the same, and the three sources'
        # rows came in one statement instead of three (beside the check of which kinds)
        assert (items, shown) == (alone_items, alone_shown)
        assert {i[0] for i in items} == set(wanted)
        if viewer == world.therapist:  # (in the order judged: results, then reviews)
            assert {s[0] for s in shown} == {"QuestionnaireResponse", "CaseReview"}
        assert len(statements) == len(alone_statements) - 2
        assert sum("UNION ALL" in sql for sql in statements) == 1


def test_the_kinds_read_beside_the_consent_context_are_the_kinds_the_client_has_rows_of():
    from tandem.consent.decision import ConsentContext

    # Given clients with no item, with items of two kinds, with referral steps only, and
    # with items of every kind
    empty, sparse, referred, full = CareWorld(), CareWorld(), CareWorld(), CareWorld()
    medication_actions.record_medication(
        actor=sparse.prescriber, client=sparse.client, change=MedicationChange.START,
        drug="sertraline", dose="25", unit="mg", frequency="daily",
    )  # fmt: skip
    message_actions.start_thread(
        actor=sparse.prescriber, client=sparse.client, subject="Sleep", body="Better?"
    )
    referred.accepted()
    bulk_items(full, 7 * 3)
    full.accepted()
    tables = core_timeline._tables
    subsets = [
        frozenset(Kind.values),
        frozenset({Kind.MEDICATION, Kind.MESSAGE}),
        frozenset({Kind.REFERRAL, Kind.QUESTIONNAIRE, Kind.SAFETY}),
        frozenset({Kind.CASE_REVIEW}),
    ]
    seen = set()
    for world in (empty, sparse, referred, full):
        for wanted in subsets:
            # When the check is read beside the consent context
            check = core_timeline.kinds_check(world.client.pk, wanted)
            if check is None:
                assert len([k for k in wanted if k in tables]) < 2
                continue
            context, found = ConsentContext.load_beside([world.client.pk], check.sql, check.params)

            # Then the kinds are those whose table holds a row of the client (as the ORM
            # says), the same as the check run on its own, and the context is the same
            has = frozenset(
                k for k in wanted
                if tables[k][0]._default_manager.filter(**{tables[k][1]: world.client}).exists()
            )  # fmt: skip
            assert check.with_rows(found) == has, (world.client.pk, wanted)
            assert core_timeline.kinds_with_rows(world.client.pk, wanted) == has
            assert context == ConsentContext.load([world.client.pk])
            seen.add(len(has))
    assert {0, 1, 2} < seen
