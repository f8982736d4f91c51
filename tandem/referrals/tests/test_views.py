"""The referral pages through HTTP: start, the draft editor, tracker, inbox, detail and its moves."""

import datetime as dt
import html as htmllib
import re
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, make_staff
from tandem.referrals import actions, states, views
from tandem.referrals.models import (
    DeclineReason,
    Payer,
    PlanType,
    PracticePolicy,
    Referral,
    ReferralAttachment,
    ReferralEvent,
    ReferralReason,
    Service,
)
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ARTICLE_POLICY, ReferralWorld
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def http(user=None) -> HttpClient:
    client = HttpClient()
    if user is not None:
        client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """Return the page's visible text with tags removed and whitespace folded."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html(response))))


def url(name, **kwargs) -> str:
    return reverse(f"referrals:{name}", kwargs=kwargs)


def start_post(world, **overrides):
    data = {
        "to_organisation": world.psychiatry.pk,
        "visit_state": "MA",
        "payer": Payer.COMMERCIAL,
        "plan_type": PlanType.PPO,
        "service": Service.MEDICATION_MANAGEMENT,
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def other_practice(name, **policy):
    org = OrganisationFactory(name=name)
    PracticePolicy.objects.create(organisation=org, **(ARTICLE_POLICY | policy))
    return org


# --- Step 1: eligibility ---------------------------------------------------------------


def test_client_record_links_the_therapist_to_the_referral_form():
    world = ReferralWorld()

    page = http(world.therapist).get(reverse("clients:detail", args=[world.client.public_id]))

    assert url("start", client_id=world.client.public_id) in html(page)
    assert "Refer for psychiatric evaluation" in html(page)


def test_start_page_offers_the_practices_with_a_policy_and_the_conversation_tips():
    world = ReferralWorld()
    OrganisationFactory(name="No Policy Psychiatry")

    page = http(world.therapist).get(url("start", client_id=world.client.public_id))

    assert page.status_code == 200
    body = html(page)
    assert "Harborlight Psychiatry" in body
    assert "No Policy Psychiatry" not in body
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', body)
    aside = body[body.index("<aside") : body.index("</aside>")]
    assert "Emphasise collaboration" in aside
    assert "Normalise medication" in aside
    assert "this doesn\u2019t mean therapy isn\u2019t working" in aside


def test_eligible_client_opens_a_draft_and_a_double_submit_opens_one():
    world = ReferralWorld()
    data = start_post(world)
    client = http(world.therapist)

    first = client.post(url("start", client_id=world.client.public_id), data)
    second = client.post(url("start", client_id=world.client.public_id), data)

    referral = Referral.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == url("edit", referral_id=referral.public_id)
    assert (referral.status, referral.payer, referral.plan_type) == (S.DRAFT, "commercial", "PPO")


def test_ineligible_client_sees_each_mismatch_by_its_field_and_the_practices_that_would_fit():
    world = ReferralWorld()
    other_practice("Cape Ann Psychiatry", payers=[Payer.MEDICARE], visit_states=["NH"])
    other_practice("Berkshire Mind", payers=[Payer.COMMERCIAL])  # no Medicare
    other_practice(
        "Closed Door Psychiatry", payers=[Payer.MEDICARE], visit_states=["NH"], accepting_new=False
    )

    page = http(world.therapist).post(
        url("start", client_id=world.client.public_id),
        start_post(world, payer=Payer.MEDICARE, visit_state="NH", plan_type=PlanType.NONE),
    )

    assert page.status_code == 400
    body = text(page)
    assert (
        "Where the client will be during visits: Harborlight Psychiatry can only see clients who "
        "are in Massachusetts during visits (telehealth licensing follows where the client is)."
    ) in body
    assert (
        "How the client will pay: Harborlight Psychiatry does not accept Medicare and has not "
        "opted out of it, so it cannot see Medicare beneficiaries, not even as private pay"
    ) in body
    raw = html(page)
    fit = raw[raw.index("data-fitting") : raw.index("</section>", raw.index("data-fitting"))]
    assert "Cape Ann Psychiatry" in fit
    assert "Berkshire Mind" not in fit
    assert "Closed Door Psychiatry" not in fit
    assert not Referral.objects.exists()


def test_a_child_is_told_the_practice_sees_adults_next_to_the_practice():
    world = ReferralWorld()
    world.client.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 15)
    world.client.save()

    page = http(world.therapist).post(
        url("start", client_id=world.client.public_id), start_post(world)
    )

    assert page.status_code == 400
    assert (
        "Psychiatric practice: Harborlight Psychiatry sees adults from 18; this client is 15."
        in text(page)
    )
    assert not Referral.objects.exists()


def test_missing_choices_are_named_and_nothing_is_created():
    world = ReferralWorld()

    page = http(world.therapist).post(
        url("start", client_id=world.client.public_id),
        start_post(world, to_organisation="", payer=""),
    )

    assert page.status_code == 400
    assert "Psychiatric practice: Choose the psychiatric practice." in text(page)
    assert "How the client will pay: Choose the coverage." in text(page)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "stranger_therapist"])
def test_only_the_clients_therapist_may_start_a_referral(who):
    world = ReferralWorld()
    user = world.coordinator if who == "coordinator" else make_staff(Role.THERAPIST)

    page = http(user).post(url("start", client_id=world.client.public_id), start_post(world))

    assert page.status_code == 404
    assert not Referral.objects.exists()


# --- Step 2: the draft editor ----------------------------------------------------------


def autosave(client, referral, **data):
    return client.post(url("edit", referral_id=referral.public_id), data, HTTP_HX_REQUEST="true")


def test_autosave_stores_the_packet_and_answers_with_the_saved_status_only():
    world = ReferralWorld()
    referral = world.start()

    response = autosave(
        http(world.therapist),
        referral,
        reasons=[ReferralReason.TREATMENT_RESISTANT],
        symptoms_tried="Twelve weeks of CBT.",
        diagnoses=["F41.1"],
        safety_psychosis="on",
        **{"med-0-name": "Sertraline", "med-0-dose": "50 mg", "med-0-kind": "psychiatric"},
    )

    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body
    assert re.search(r"Saved at \d\d:\d\d", body)
    referral.refresh_from_db()
    assert referral.reasons == ["treatment_resistant"]
    assert referral.symptoms_tried == "Twelve weeks of CBT."
    assert referral.diagnoses == ["F41.1"]
    assert referral.safety_psychosis is True
    assert referral.medications == [{"name": "Sertraline", "dose": "50 mg", "kind": "psychiatric"}]


def test_an_autosave_from_an_older_picture_of_the_form_never_undoes_a_newer_save():
    # Given a draft page loaded at some version, whose autosave is still on its way
    world = ReferralWorld()
    referral = world.drafted(treatment_history="First words.")
    therapist = http(world.therapist)
    page = html(therapist.get(url("edit", referral_id=referral.public_id)))
    found = re.search(r'name="base_version" id="draft-version" value="(\d+)"', page)
    assert found
    seen = int(found[1])
    assert 'hx-sync="this:queue last"' in page

    # When a button's full save gets to the server first (it always wins, whatever it saw)
    therapist.post(
        url("edit", referral_id=referral.public_id),
        {"treatment_history": "Newest words, saved by the button.", "base_version": seen},
    )
    # and the autosave that carried the older picture arrives after it
    late = autosave(therapist, referral, treatment_history="Older words.", base_version=str(seen))

    # Then the late autosave is refused with the reason, and the newer save stands
    assert late.status_code == 200
    assert "this change was not saved automatically" in text(late)
    assert 'id="draft-version"' not in html(late)
    referral.refresh_from_db()
    assert referral.treatment_history == "Newest words, saved by the button."


def test_each_autosave_tells_the_page_the_version_it_saved_so_the_next_one_goes_through():
    world = ReferralWorld()
    referral = world.drafted()
    therapist = http(world.therapist)
    version = Referral.objects.get(pk=referral.pk).version

    first = autosave(therapist, referral, treatment_history="One.", base_version=str(version))
    new = re.search(r'id="draft-version" value="(\d+)" hx-swap-oob="true"', html(first))
    assert new
    assert int(new[1]) == version + 1
    second = autosave(therapist, referral, treatment_history="One. Two.", base_version=new[1])

    assert "Saved at" in text(second)
    referral.refresh_from_db()
    assert referral.treatment_history == "One. Two."


def test_autosave_names_a_bad_code_and_keeps_everything_else():
    world = ReferralWorld()
    referral = world.start()

    response = autosave(
        http(world.therapist),
        referral,
        diagnoses=["F41.1", "Z99.999"],
        treatment_history="Weekly CBT since March.",
    )

    assert response.status_code == 200
    assert "Diagnoses (ICD-10-CM): Not a billable ICD-10-CM code Tandem accepts: Z99.999." in text(
        response
    )
    referral.refresh_from_db()
    assert (referral.diagnoses, referral.treatment_history) == (
        ["F41.1"],
        "Weekly CBT since March.",
    )


def test_the_editor_page_has_every_section_and_autosaves_on_change_and_typing():
    world = ReferralWorld()
    referral = world.drafted()

    page = http(world.therapist).get(url("edit", referral_id=referral.public_id))

    assert page.status_code == 200
    body = html(page)
    assert 'hx-trigger="change, keyup changed delay:1s"' in body
    assert f'hx-post="{url("edit", referral_id=referral.public_id)}"' in body
    assert 'id="autosave-status"' in body
    assert 'src="/static/referrals/editor.js"' in body  # keeps autosave from racing a button
    for legend in (
        "Reasons for referral",
        "Diagnosis and diagnostic considerations (ICD-10-CM)",
        "Current medications, supplements and other prescriptions",
        "Safety concerns",
        "Substance use",
        "Recent questionnaire scores",
    ):
        assert f"<legend>{legend}</legend>" in body
    assert "F41.1</code> Generalized anxiety disorder" in body
    assert 'value="Levothyroxine"' in body
    assert re.search(r'<input[^>]*name="med-1-name"(?![^>]*value=)', body)  # a blank row to add
    assert "<aside" in body
    assert "Normalise medication" in body


def test_without_javascript_a_medication_row_is_added_then_removed():
    world = ReferralWorld()
    referral = world.start()
    client = http(world.therapist)

    added = client.post(
        url("edit", referral_id=referral.public_id),
        {
            "med-0-name": "Vitamin D",
            "med-0-dose": "2000 IU",
            "med-0-kind": "supplement",
            "action": "add_medication",
        },
    )
    assert added.status_code == 302
    assert added.url.endswith("#medications")
    page = client.get(added.url)
    assert re.search(r'<input[^>]*name="med-1-name"(?![^>]*value=)', html(page))

    client.post(
        url("edit", referral_id=referral.public_id),
        {
            "med-0-name": "Vitamin D",
            "med-0-kind": "supplement",
            "med-1-name": "Bupropion",
            "med-1-kind": "psychiatric",
            "remove_medication": "0",
        },
    )
    referral.refresh_from_db()
    assert referral.medications == [{"name": "Bupropion", "dose": "", "kind": "psychiatric"}]


def test_without_javascript_a_code_is_searched_added_and_removed():
    world = ReferralWorld()
    referral = world.start()
    client = http(world.therapist)

    found = client.post(
        url("edit", referral_id=referral.public_id), {"q": "panic", "action": "search"}
    )
    assert found.status_code == 200
    assert 'name="add_diagnosis" value="F41.0"' in html(found)

    client.post(url("edit", referral_id=referral.public_id), {"add_diagnosis": "F41.0"})
    referral.refresh_from_db()
    assert referral.diagnoses == ["F41.0"]

    client.post(
        url("edit", referral_id=referral.public_id),
        {"diagnoses": ["F41.0"], "remove_diagnosis": "F41.0"},
    )
    referral.refresh_from_db()
    assert referral.diagnoses == []


def test_icd10_search_returns_a_fragment_for_htmx_and_a_page_otherwise():
    world = ReferralWorld()
    client = http(world.therapist)

    fragment = client.get(url("icd10") + "?q=apnea", HTTP_HX_REQUEST="true")
    page = client.get(url("icd10") + "?q=apnea")

    assert fragment.status_code == page.status_code == 200
    assert "<html" not in html(fragment)
    assert 'name="add_diagnosis" value="G47.33"' in html(fragment)
    assert "Obstructive sleep apnea" in html(fragment)
    assert "<h1>ICD-10-CM codes</h1>" in html(page)
    assert "G47.33</code>" in html(page)


def test_send_without_a_reason_is_refused_by_field_and_nothing_typed_is_lost():
    world = ReferralWorld()
    referral = world.start()

    response = http(world.therapist).post(
        url("edit", referral_id=referral.public_id),
        {"treatment_history": "CBT since March.", "action": "send"},
    )

    assert response.status_code == 400
    assert "Reasons for referral: Give at least one reason for the referral." in text(response)
    referral.refresh_from_db()
    assert (referral.status, referral.treatment_history) == (S.DRAFT, "CBT since March.")


def test_send_opens_the_referral_once_however_often_it_is_posted():
    world = ReferralWorld()
    referral = world.drafted()
    client = http(world.therapist)
    data = {"reasons": [ReferralReason.CLIENT_REQUEST], "action": "send"}

    first = client.post(url("edit", referral_id=referral.public_id), data)
    second = client.post(url("edit", referral_id=referral.public_id), data)

    assert first.status_code == second.status_code == 302
    assert first.url == second.url == url("detail", referral_id=referral.public_id)
    referral.refresh_from_db()
    assert referral.status == S.SENT
    assert ReferralEvent.objects.filter(referral=referral, to_status=S.SENT).count() == 1


def test_the_practice_cannot_open_the_editor():
    world = ReferralWorld()
    referral = world.sent()

    assert (
        http(world.coordinator).get(url("edit", referral_id=referral.public_id)).status_code == 404
    )
    assert (
        http(world.coordinator)
        .post(url("edit", referral_id=referral.public_id), {"reasons": []})
        .status_code
        == 404
    )


# --- Attachments -----------------------------------------------------------------------


def attach(client, referral, upload, **data):
    payload = {"file": upload, "title": "PHQ-9 history", "category": Category.QUESTIONNAIRES}
    payload.update(data)
    return client.post(url("add_attachment", referral_id=referral.public_id), payload)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("scores.pdf", b"GIF89a", "application/pdf"),
            "That file is not a PDF, whatever its name says.",
        ),
        (
            SimpleUploadedFile("scores.docx", b"%PDF-1.4", "application/msword"),
            "Upload a PDF file (.pdf).",
        ),
    ],
)
def test_an_attachment_that_is_not_a_pdf_is_refused(upload, message):
    world = ReferralWorld()
    referral = world.start()

    response = attach(http(world.therapist), referral, upload)

    assert response.status_code == 400
    assert f"PDF document: {message}" in text(response)
    assert not ReferralAttachment.objects.exists()


def test_an_attachment_over_the_cap_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    world = ReferralWorld()
    referral = world.start()
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024), "application/pdf")

    response = attach(http(world.therapist), referral, big)

    assert response.status_code == 400
    assert "The file is larger than 1 MB; upload a smaller PDF." in text(response)
    assert not ReferralAttachment.objects.exists()


def test_an_attachment_reaches_the_practice_only_once_a_release_covers_its_category():
    world = ReferralWorld()
    referral = world.drafted()
    therapist = http(world.therapist)
    response = attach(
        therapist, referral, SimpleUploadedFile("s.pdf", PDF_BYTES, "application/pdf")
    )
    assert response.status_code == 302
    item = ReferralAttachment.objects.get()
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(item.public_id)
    ).exists()
    actions.send_referral(actor=world.therapist, referral=referral)
    download = url("attachment", referral_id=referral.public_id, document_id=item.public_id)
    # The practice's prescriber reads it (the front desk never sees clinical documents).
    coordinator = http(world.prescriber)

    before = coordinator.get(url("detail", referral_id=referral.public_id))
    assert "PHQ-9 history" not in html(before)
    assert "A document — Withheld — no current release covers questionnaire results." in text(
        before
    )
    assert coordinator.get(download).status_code == 404

    world.release([Category.QUESTIONNAIRES])
    after = coordinator.get(url("detail", referral_id=referral.public_id))
    assert "PHQ-9 history" in html(after)
    got = coordinator.get(download)
    assert got.status_code == 200
    assert got.content == PDF_BYTES
    assert Disclosure.objects.filter(object_id=str(item.public_id)).count() == 1


# --- Tracker and inbox -----------------------------------------------------------------


def bulk_referrals(world, count, *, status=S.SENT, urgent=False, due_in=dt.timedelta(days=1)):
    now = timezone.now()
    Referral.objects.bulk_create(
        Referral(
            client=world.client,
            therapist=world.therapist,
            from_organisation=world.therapy,
            to_organisation=world.psychiatry,
            status=status,
            idempotency_key=uuid.uuid4(),
            urgent=urgent,
            payer=Payer.COMMERCIAL,
            plan_type=PlanType.PPO,
            visit_state="MA",
            service=Service.MEDICATION_MANAGEMENT,
            sent_at=now - dt.timedelta(hours=i % 48),
            due_at=now + due_in + dt.timedelta(minutes=i),
        )
        for i in range(count)
    )


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_tracker_shows_state_what_it_waits_for_and_the_decline_with_its_redirect():
    world = ReferralWorld()
    elsewhere = other_practice("Berkshire Mind")
    asked = world.sent()
    actions.request_info(actor=world.coordinator, referral=asked, question="Any prior SSRIs?")
    declined = world.sent()
    actions.decline(
        actor=world.coordinator,
        referral=declined,
        decline_reason=DeclineReason.NOT_ACCEPTING,
        note="Full until March.",
        redirect_to=elsewhere,
    )

    page = http(world.therapist).get(url("tracker"))

    assert page.status_code == 200
    body = text(page)
    assert "More information requested" in body
    assert "You: answer the practice's question" in body
    assert f"{url('detail', referral_id=asked.public_id)}#answer" in html(page)
    assert "Declined because Not accepting new clients now — Full until March." in body
    assert "Suggested instead Berkshire Mind" in body
    assert "You: see the reason and the suggested next step" in body


def test_tracker_runs_the_same_queries_with_10_and_200_referrals(django_assert_num_queries):
    world = ReferralWorld()
    client = http(world.therapist)
    bulk_referrals(world, 10)
    ten = queries_for(client, url("tracker"))

    bulk_referrals(world, 190)
    with django_assert_num_queries(ten):
        page = client.get(url("tracker"))
    assert page.status_code == 200
    # And a deep page (the fourth) costs the same
    for _ in range(3):
        (older,) = re.findall(r'<a href="\?(at=[\w-]+)" rel="next">Older</a>', html(page))
        with django_assert_num_queries(ten):
            page = client.get(url("tracker") + "?" + older)
    assert html(page).count("data-referral=") == 50


def test_the_tracker_pages_newest_first_with_links_that_name_no_date():
    # Given a therapist with 120 referrals
    world = ReferralWorld()
    bulk_referrals(world, 120)
    client = http(world.therapist)
    every = [str(r.public_id) for r in Referral.objects.order_by("-created_at", "-pk")]

    # When they walk "Older" to the end and "Newer" back
    pages = [html(client.get(url("tracker")))]
    while older := re.findall(r'<a href="\?(at=[\w-]+)" rel="next">Older</a>', pages[-1]):
        pages.append(html(client.get(url("tracker") + "?" + older[0])))
    (newer,) = re.findall(r'<a href="\?(at=[\w-]+)" rel="prev">Newer</a>', pages[-1])
    back = html(client.get(url("tracker") + "?" + newer))

    # Then the pages hold 50, 50 and 20 referrals, newest first, each once
    shown = [re.findall(r'data-referral="([^"]+)"', p) for p in pages]
    assert [len(ids) for ids in shown] == [50, 50, 20]
    assert [i for ids in shown for i in ids] == every
    assert re.findall(r'data-referral="([^"]+)"', back) == shown[1]
    # And the links carry an opaque key: no date, no row id
    assert str(timezone.now().year) not in newer
    # And a key that is not ours opens the newest page
    assert (
        re.findall(r'data-referral="([^"]+)"', html(client.get(url("tracker") + "?at=2026")))
        == (shown[0])
    )


def test_inbox_puts_urgent_first_then_by_due_time_with_time_left_and_first_names_only():
    world = ReferralWorld()
    later = world.sent()
    overdue = world.sent()
    urgent = world.sent()
    now = timezone.now()
    Referral.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(hours=5, minutes=30))
    Referral.objects.filter(pk=overdue.pk).update(
        due_at=now - dt.timedelta(days=1, hours=2, minutes=5)
    )
    Referral.objects.filter(pk=urgent.pk).update(
        urgent=True, due_at=now + dt.timedelta(hours=3, minutes=30)
    )

    page = http(world.coordinator).get(url("inbox"))

    body = html(page)
    order = [m for m in re.findall(r'data-referral="([0-9a-f-]+)"', body)]
    assert order == [str(urgent.public_id), str(overdue.public_id), str(later.public_id)]
    assert "3 h 29 min left" in body or "3 h 30 min left" in body
    assert "Overdue by 1 day 2 h" in body
    assert f"Referral for {world.client.first_name}" in body
    assert world.client.last_name not in body
    assert 'hx-trigger="every 60s"' in body


def test_inbox_refresh_returns_the_list_fragment_only():
    world = ReferralWorld()
    world.sent()

    fragment = http(world.coordinator).get(url("inbox"), HTTP_HX_REQUEST="true")

    assert fragment.status_code == 200
    assert html(fragment).lstrip().startswith('<div id="inbox-list"')
    assert "<html" not in html(fragment)


def test_inbox_runs_the_same_queries_with_10_and_1000_referrals(django_assert_num_queries):
    world = ReferralWorld()
    client = http(world.coordinator)
    bulk_referrals(world, 10)
    ten = queries_for(client, url("inbox"))

    bulk_referrals(world, 990)
    with django_assert_num_queries(ten):
        page = client.get(url("inbox"))
    assert "1000 open referrals." in html(page)


def test_the_inbox_counts_its_open_referrals_from_the_referrals_alone():
    # Given a practice with 60 open referrals (two pages), and drafts, closed referrals
    # and another practice's open ones that its inbox does not list
    world = ReferralWorld()
    bulk_referrals(world, 60)
    bulk_referrals(world, 7, status=S.DRAFT)
    bulk_referrals(world, 5, status=S.CLOSED)
    bulk_referrals(ReferralWorld(), 9)

    # When the coordinator opens the inbox
    with CaptureQueriesContext(connection) as captured:
        page = http(world.coordinator).get(url("inbox"))

    # Then the total is the inbox's own rows, counted without joining the card's client,
    # therapist and practice (a join PostgreSQL answers by reading every client)
    assert "60 open referrals." in html(page)
    assert "Page 1 of 2" in html(page)
    (count,) = [
        q["sql"] for q in captured if "COUNT(" in q["sql"] and "referrals_referral" in q["sql"]
    ]
    assert "JOIN" not in count
    assert "clients_client" not in count


#: The inbox card loop as ``inbox.html`` wrote it before the cards were formatted in Python
#: (``views._inbox_card_items``): the reference their HTML must equal.
TEMPLATE_CARDS = """\
{% for card in cards %}
  <li class="card referral-card{% if card.urgent %} referral-urgent{% endif %}" data-referral="{{ card.public_id }}">
    <h2 class="referral-title"><a href="{{ card.link }}">Referral for {{ card.first_name }}</a></h2>
    <p>{{ card.status }}{% if card.urgent %} {{ urgent_badge }}{% endif %}
      {% if card.clock is not None %}<span class="clock{% if card.overdue %} clock-overdue{% endif %}" data-clock>{{ card.clock }}</span>{% endif %}</p>
    <dl class="facts">
      <dt>From</dt><dd>{{ card.from }}</dd>
      <dt>Next step</dt><dd>{{ card.waiting }}</dd>
      <dt>Sent</dt><dd>{{ card.sent }} ago</dd>
    </dl>
  </li>
{% endfor %}"""


@pytest.mark.parametrize(
    "card",
    [
        {},
        {"urgent": True},
        {"clock": "Overdue by 1 day 2 h", "overdue": True, "urgent": True},
        {"clock": None, "status": views.badge("accepted", "Accepted")},
        {"first_name": "O'Brien & <Sons>", "from": '"Al" <al@x.test>, Hope & Co'},
    ],
)
def test_the_inbox_cards_are_the_html_the_template_wrote(card):
    from django.template import engines

    # Given inbox cards (texts HTML escapes, a clock or none, urgent or not)
    blank = {
        "public_id": uuid.UUID("0b0e8a52-4a1c-4f7e-9d7e-1a2b3c4d5e6f"),
        "link": "/referrals/0b0e8a52-4a1c-4f7e-9d7e-1a2b3c4d5e6f/",
        "first_name": "Jo",
        "status": views.badge("sent", "Sent"),
        "urgent": False,
        "clock": "3 h 29 min left",
        "overdue": False,
        "from": "Dr Ada Lovelace, Harbour Therapy",
        "waiting": states.WAITING_FOR[S.INFO_REQUESTED][1],
        "sent": "4 days, 6 hours",
    }
    cards = [{**blank, **card}, blank]

    # When the view formats them, and the template's old loop renders the same cards
    items = views._inbox_card_items(cards)
    reference = (
        engines["django"].from_string(TEMPLATE_CARDS).render({"cards": cards, **views.BADGES})
    )

    # Then the HTML is the same, byte for byte
    assert str(items) == reference
    if "first_name" in card:  # and text is escaped
        assert "Referral for O&#x27;Brien &amp; &lt;Sons&gt;</a>" in items


#: The tracker card loop as ``tracker.html`` wrote it before the cards were formatted in
#: Python (``views._tracker_card_items``): the reference their HTML must equal.
TEMPLATE_TRACKER_CARDS = """\
{% for card in cards %}
  <li class="card referral-card" data-referral="{{ card.public_id }}">
    <h2 class="referral-title"><a href="{{ card.link }}">{{ card.title }}</a></h2>
    <p>{{ card.status }}{% if card.urgent %} {{ urgent_badge }}{% endif %}{% if card.late %} {{ overdue_badge }}{% endif %}</p>
    {% if card.late %}<p data-late>The practice\u2019s answer is {{ card.late }}{% if card.late_told %}; {{ card.late_told }}{% else %}.{% endif %}</p>{% endif %}
    <dl class="facts">
      <dt>Waiting for</dt><dd data-waiting="{{ card.waiting_side }}">{{ card.waiting }}</dd>
      <dt>Sent</dt><dd>{{ card.sent }}</dd>
      {% if card.declined %}
        <dt>Declined because</dt><dd>{{ card.reason }}{% if card.note %} \u2014 {{ card.note }}{% endif %}</dd>
        {% if card.instead is not None %}<dt>Suggested instead</dt><dd>{{ card.instead }}</dd>{% endif %}
      {% endif %}
    </dl>
    {% if card.answer %}<p><a class="button button-secondary" href="{{ card.link }}#answer">Answer the practice\u2019s question</a></p>{% endif %}
  </li>
{% endfor %}"""


@pytest.mark.parametrize(
    "card",
    [
        {},
        {"urgent": True, "late": "overdue by 1 day 2 h", "late_told": ""},
        {"late": "overdue by 3 h", "late_told": "Tandem reminded its team."},
        {"declined": True, "reason": "Not accepting", "note": "", "instead": None},
        {"declined": True, "reason": "Out of area", "note": "Try <Hope & Co>", "instead": "Hope"},
        {"declined": True, "reason": "Full", "note": "", "instead": ""},
        {"answer": True, "status": views.badge("info_requested", "Information requested")},
        {"title": 'O\'Brien & <Sons> → "Bay" Psychiatry', "sent": "Not yet"},
    ],
)
def test_the_tracker_cards_are_the_html_the_template_wrote(card):
    from django.template import engines

    # Given tracker cards (late or not, declined with or without a note and a suggestion,
    # a question to answer, texts HTML escapes)
    blank = {
        "public_id": uuid.UUID("0b0e8a52-4a1c-4f7e-9d7e-1a2b3c4d5e6f"),
        "link": "/referrals/0b0e8a52-4a1c-4f7e-9d7e-1a2b3c4d5e6f/",
        "title": "Jo Doe \u2192 Bay Psychiatry",
        "status": views.badge("sent", "Sent"),
        "urgent": False,
        "late": None,
        "late_told": None,
        "waiting_side": "practice",
        "waiting": states.WAITING_FOR[S.INFO_REQUESTED][1],
        "sent": "4 days, 6 hours ago",
        "declined": False,
        "reason": "",
        "note": "",
        "instead": None,
        "answer": False,
    }
    cards = [{**blank, **card}, blank]

    # When the view formats them, and the template's old loop renders the same cards
    items = views._tracker_card_items(cards)
    reference = (
        engines["django"]
        .from_string(TEMPLATE_TRACKER_CARDS)
        .render({"cards": cards, **views.BADGES})
    )

    # Then the HTML is the same, byte for byte
    assert str(items) == reference
    if "title" in card:  # and text is escaped
        assert "O&#x27;Brien &amp; &lt;Sons&gt; \u2192 &quot;Bay&quot; Psychiatry</a>" in items


def test_the_inbox_is_for_practice_staff_and_the_tracker_for_therapists():
    world = ReferralWorld()

    assert http(world.therapist).get(url("inbox")).status_code == 404
    assert http(world.coordinator).get(url("tracker")).status_code == 404
    assert http(world.prescriber).get(url("inbox")).status_code == 200
    assert http(world.admin).get(url("inbox")).status_code == 200


# --- Detail and moves ------------------------------------------------------------------


def move(client, referral, target, version=None, **fields):
    data = {"target": target, f"{target}-expected_version": version or referral.version}
    data.update({f"{target}-{k}": v for k, v in fields.items()})
    return client.post(url("move", referral_id=referral.public_id), data)


def test_the_practice_sees_who_and_how_to_reach_them_and_only_the_released_sections():
    world = ReferralWorld()
    referral = world.sent()
    # The practice's prescriber reads it (the front desk never sees clinical sections).
    coordinator = http(world.prescriber)

    before = coordinator.get(url("detail", referral_id=referral.public_id))
    assert before.status_code == 200
    body = html(before)
    assert world.therapist.email in body
    assert f"<dd data-client>{world.client.first_name}</dd>" in body
    assert world.client.last_name not in body
    assert "F41.1" not in body
    assert "Levothyroxine" not in body
    assert len(re.findall(r"data-withheld=", body)) == 8

    world.release([Category.DIAGNOSIS, Category.MEDICATIONS])
    after = html(coordinator.get(url("detail", referral_id=referral.public_id)))
    assert "F41.1</code> Generalized anxiety disorder" in after
    assert "Levothyroxine, 50 mcg daily" in after
    assert "Hypothyroidism, treated." not in after
    assert sorted(re.findall(r'data-withheld="(\w+)"', after)) == sorted(
        [
            "treatment_history",
            "treatment_history",
            "safety",
            "substance_use",
            "medical_history",
            "questionnaires",
        ]
    )
    assert set(Disclosure.objects.values_list("category", flat=True)) == {
        "diagnosis",
        "medications",
    }


def test_acknowledging_moves_the_referral_and_says_so():
    world = ReferralWorld()
    referral = world.sent()

    coordinator = http(world.coordinator)

    response = move(coordinator, referral, S.RECEIVED)

    assert response.status_code == 302
    page = coordinator.get(response.url)
    assert "Done. The referral is back with the practice." in html(page)
    assert "Practice: accept or decline" in html(page)
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_a_stale_page_keeps_the_typed_question_and_explains(django_assert_num_queries):
    world = ReferralWorld()
    referral = world.sent()
    seen_version = referral.version
    second = make_staff(Role.COORDINATOR, world.psychiatry)
    actions.receive(actor=second, referral=referral)

    response = move(
        http(world.coordinator),
        referral,
        S.INFO_REQUESTED,
        version=seen_version,
        note="Has the client tried an SSRI before?",
    )

    assert response.status_code == 409
    body = html(response)
    assert "Someone else updated this referral a moment ago (it is now received)." in body
    assert "Has the client tried an SSRI before?</textarea>" in body
    current = Referral.objects.get(pk=referral.pk)
    assert f'name="info_requested-expected_version" value="{current.version}"' in body
    assert current.status == S.RECEIVED


def test_a_decline_without_a_reason_names_the_field_and_keeps_the_note():
    world = ReferralWorld()
    referral = world.sent()

    response = move(http(world.coordinator), referral, S.DECLINED, note="We are full.")

    assert response.status_code == 400
    assert "Give the reason for declining, so the therapist can act on it." in html(response)
    assert "We are full.</textarea>" in html(response)
    referral.refresh_from_db()
    assert referral.status == S.SENT


def test_a_move_the_loop_does_not_allow_is_refused_with_a_clear_message():
    world = ReferralWorld()
    referral = world.sent()

    response = move(http(world.coordinator), referral, S.CLOSED)

    assert response.status_code == 400
    assert "A referral that is sent cannot become closed." in html(response)
    referral.refresh_from_db()
    assert referral.status == S.SENT


def test_a_closed_referral_cannot_move_again():
    world = ReferralWorld()
    referral = world.sent()
    for named_move in (
        actions.receive,
        actions.accept,
        actions.schedule,
        actions.first_visit_done,
        actions.consult_note_sent,
        actions.close,
    ):
        referral = named_move(actor=world.coordinator, referral=referral)

    response = move(http(world.therapist), referral, S.CANCELLED)

    assert response.status_code == 400
    assert "A referral that is closed can no longer be cancelled." in html(response)


def test_the_therapist_answers_the_practices_question():
    world = ReferralWorld()
    referral = world.sent()
    referral = actions.request_info(
        actor=world.coordinator, referral=referral, question="Prior SSRIs?"
    )
    therapist = http(world.therapist)
    page = therapist.get(url("detail", referral_id=referral.public_id))
    assert 'id="answer"' in html(page)
    assert "Prior SSRIs?" in html(page)

    response = move(therapist, referral, S.RECEIVED, note="Sertraline 2019, stopped for nausea.")

    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.info_response) == (
        S.RECEIVED,
        "Sertraline 2019, stopped for nausea.",
    )
    # The answer is clinical detail: withheld from the practice until a release covers it.
    coordinator = http(world.prescriber)  # the front desk never sees it (minimum necessary)
    withheld = html(coordinator.get(url("detail", referral_id=referral.public_id)))
    assert "Sertraline 2019" not in withheld
    answer = withheld.split("data-info-response>", 1)[1].split("</dd>", 1)[0]
    assert "Withheld — no current release covers treatment history and response" in answer
    assert "(note withheld)" in withheld

    world.release([Category.TREATMENT_HISTORY])
    released = html(coordinator.get(url("detail", referral_id=referral.public_id)))
    assert released.count("Sertraline 2019, stopped for nausea.") == 2  # the answer and the history


def test_accepting_assigns_the_chosen_prescriber():
    world = ReferralWorld()
    referral = world.sent()

    response = move(
        http(world.coordinator), referral, S.ACCEPTED, assigned_prescriber=world.prescriber.pk
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.assigned_prescriber) == (S.ACCEPTED, world.prescriber)


def test_the_referral_page_names_the_assigned_prescriber_without_a_query_of_its_own():
    # Given two accepted referrals, one with its prescriber assigned and one without
    world = ReferralWorld()
    assigned = world.accepted()
    unassigned = world.accepted()
    Referral.objects.filter(pk=unassigned.pk).update(assigned_prescriber=None)
    browser = http(world.coordinator)
    for referral in (assigned, unassigned):
        browser.get(url("detail", referral_id=referral.public_id))  # first-read disclosures

    # When the coordinator opens each
    without = queries_for(browser, url("detail", referral_id=unassigned.public_id))
    with CaptureQueriesContext(connection) as captured:
        page = browser.get(url("detail", referral_id=assigned.public_id))

    # Then the prescriber is named, read with the referral: the same queries as without one
    assert f"<dt>Prescriber</dt><dd>{world.prescriber.display_name}</dd>" in html(page)
    assert len(captured) == without


def test_each_side_is_offered_only_its_own_moves():
    world = ReferralWorld()
    referral = world.sent()

    therapist_page = html(http(world.therapist).get(url("detail", referral_id=referral.public_id)))
    practice_page = html(http(world.coordinator).get(url("detail", referral_id=referral.public_id)))

    assert re.findall(r'data-move="(\w+)"', therapist_page) == ["cancelled"]
    assert re.findall(r'data-move="(\w+)"', practice_page) == [
        "received",
        "accepted",
        "declined",
        "info_requested",
    ]


def test_someone_outside_the_referral_gets_not_found_and_nothing_changes():
    world = ReferralWorld()
    referral = world.sent()
    outsider = make_staff(Role.COORDINATOR)

    assert http(outsider).get(url("detail", referral_id=referral.public_id)).status_code == 404
    assert move(http(outsider), referral, S.RECEIVED).status_code == 404
    referral.refresh_from_db()
    assert referral.status == S.SENT


def test_the_therapist_cancels_and_the_practice_sees_it_is_no_longer_open():
    world = ReferralWorld()
    referral = world.sent()
    therapist = http(world.therapist)

    response = move(therapist, referral, S.CANCELLED, note="Client chose another practice.")

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.CANCELLED
    inbox = html(http(world.coordinator).get(url("inbox")))
    assert str(referral.public_id) not in inbox
    assert "No open referrals." in inbox


def test_autosave_after_sending_says_the_packet_is_no_longer_editable_and_changes_nothing():
    world = ReferralWorld()
    referral = world.sent()

    response = autosave(http(world.therapist), referral, treatment_history="Changed after sending.")

    assert response.status_code == 200
    assert "This referral has been sent; its packet can no longer be edited." in text(response)
    referral.refresh_from_db()
    assert referral.treatment_history == "CBT with interoceptive exposure since spring."


def test_code_search_is_for_clinicians_and_staff_only():
    world = ReferralWorld()

    assert http(world.client_user).get(url("icd10") + "?q=panic").status_code == 404
    assert http().get(url("icd10") + "?q=panic").status_code == 302


def _referral_with(world, documents: int, notes: int):
    """A sent referral with ``documents`` PDFs and ``notes`` practice notes in its history."""
    referral = world.start()
    for i in range(documents):
        actions.add_attachment(
            actor=world.therapist,
            referral=referral,
            upload=SimpleUploadedFile(f"scores-{i}.pdf", PDF_BYTES, "application/pdf"),
            title=f"Scores {i}",
            category=Category.QUESTIONNAIRES,
        )
    referral = actions.send_referral(actor=world.therapist, referral=world.drafted(referral))
    ReferralEvent.objects.bulk_create(
        ReferralEvent(
            referral=referral,
            from_status=S.FIRST_VISIT_DONE,
            to_status=S.FIRST_VISIT_DONE,
            actor=world.coordinator,
            note=f"Seen; plan {i}.",
        )
        for i in range(notes)
    )
    return referral


def test_the_referral_page_runs_the_same_queries_however_many_documents_and_notes(
    django_assert_num_queries,
):
    # Given two referrals of one client, released, with 1 and with 12 documents and notes
    world = ReferralWorld()
    world.release([Category.QUESTIONNAIRES, Category.CONSULT_NOTES, Category.DIAGNOSIS])
    small = _referral_with(world, documents=1, notes=1)
    large = _referral_with(world, documents=12, notes=12)

    for viewer in (world.prescriber, world.therapist):
        browser = http(viewer)
        detail = url("detail", referral_id=small.public_id)
        browser.get(detail)  # the first reads record the disclosures; count the steady state
        browser.get(url("detail", referral_id=large.public_id))
        few = queries_for(browser, detail)

        # When each side opens the larger one, the page costs the same
        with django_assert_num_queries(few):
            page = browser.get(url("detail", referral_id=large.public_id))
        assert html(page).count("Scores ") >= 12


def test_the_inbox_and_tracker_record_which_clients_they_named_but_not_the_minute_refresh():
    # Given a sent referral
    world = ReferralWorld()
    referral = world.sent()
    client_id = str(world.client.public_id)

    # When the coordinator opens the inbox, it refreshes itself, and the therapist the tracker
    coordinator = http(world.coordinator)
    coordinator.get(url("inbox"))
    coordinator.get(url("inbox"), headers={"HX-Request": "true", "HX-Trigger": "inbox-list"})
    http(world.therapist).get(url("tracker"))

    # Then each view that showed the client is one audit row naming them, the refresh none
    rows = AuditEvent.objects.filter(action=AuditAction.VIEW, detail__has_key="list")
    assert sorted(
        (e.actor_id, e.detail["list"], tuple(e.detail["clients"])) for e in rows
    ) == sorted(
        [
            (world.coordinator.pk, "referral_inbox", (client_id,)),
            (world.therapist.pk, "referral_tracker", (client_id,)),
        ]
    )
    assert referral.client.last_name not in str([e.detail for e in rows])


# --- A practice that declined this client before -----------------------------------------


def test_the_editor_warns_before_sending_that_the_practice_declined_this_client_recently():
    """Issue 13: re-referring to a practice that declined the client 12 days earlier warned nobody."""
    world = ReferralWorld()
    elsewhere = other_practice("Berkshire Mind")
    earlier = world.sent()
    with time_machine.travel(timezone.now() - dt.timedelta(days=12)):
        actions.decline(
            actor=world.coordinator,
            referral=earlier,
            decline_reason=DeclineReason.NOT_ACCEPTING,
            note="Full until March.",
            redirect_to=elsewhere,
        )
    again = world.drafted()

    body = text(http(world.therapist).get(url("edit", referral_id=again.public_id)))

    practice = world.psychiatry.name
    assert f"{practice} declined a referral for this client 12 days ago" in body
    assert "Not accepting new clients now — Full until March." in body
    assert "Suggested instead Berkshire Mind" in body
    # Before the click: the warning sits above the send button, which still works.
    page = html(http(world.therapist).get(url("edit", referral_id=again.public_id)))
    assert page.index("data-earlier-decline") < page.index('value="send"')


def test_no_warning_for_a_decline_over_90_days_ago_nor_for_a_referral_the_practice_accepted():
    world = ReferralWorld()
    old = world.sent()
    with time_machine.travel(timezone.now() - dt.timedelta(days=91)):
        actions.decline(
            actor=world.coordinator, referral=old, decline_reason=DeclineReason.NOT_ACCEPTING
        )
    world.accepted()
    again = world.drafted()

    page = html(http(world.therapist).get(url("edit", referral_id=again.public_id)))

    assert "data-earlier-decline" not in page
    assert "declined a referral for this client" not in text(
        http(world.therapist).get(url("edit", referral_id=again.public_id))
    )


def test_the_tracker_says_when_the_practice_is_late_to_answer_and_that_it_was_reminded():
    """Issue 13: an overdue referral showed only "Sent" on the therapist's tracker."""
    world = ReferralWorld()
    late = world.sent()
    on_time = world.sent()
    Referral.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1, hours=2, minutes=5), overdue_level=1
    )

    page = http(world.therapist).get(url("tracker"))

    cards = dict(re.findall(r'data-referral="([0-9a-f-]+)"(.*?)</li>', html(page), flags=re.S))
    late_card = text_of(cards[str(late.public_id)])
    assert "Overdue" in late_card
    assert (
        "The practice\u2019s answer is overdue by 1 day 2 h; Tandem reminded its team." in late_card
    )
    assert "Overdue" not in text_of(cards[str(on_time.public_id)])


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


#: The history loop as ``detail.html`` wrote it before its steps were formatted in Python
#: (``views._history_items``), inside the page's ``{% timezone zone %}``: the reference.
TEMPLATE_HISTORY = """{% load tz %}{% timezone zone %}\
{% for entry in history %}{% with e=entry.event %}
    <li><time datetime="{{ e.at|date:'c' }}">{{ e.at|date:"D j M Y, H:i T" }}</time> \u2014 \
{{ e.get_to_status_display }}{% if e.actor %} by {{ e.actor.display_name }}{% endif %}\
{% if entry.note %}: \u201c{{ entry.note }}\u201d{% elif entry.withheld %} \
<span class="muted">(note withheld)</span>{% endif %}</li>
  {% endwith %}
  {% endfor %}{% endtimezone %}"""


@pytest.mark.parametrize("zone", ["America/New_York", "America/Los_Angeles", "UTC"])
def test_the_history_steps_are_the_html_the_template_wrote(zone):
    from zoneinfo import ZoneInfo

    from django.template import engines

    from tandem.accounts.models import User
    from tandem.referrals.models import ReferralEvent
    from tandem.referrals.selectors import HistoryEntry

    # Given steps by someone, by nobody, with a note shown, withheld, or escaped, one of
    # them in the hour the clocks go back (an ambiguous local time)
    named = User(email="c@x.test", full_name="Cora <Coordinator> & Co")
    preferred = User(email="d@x.test", full_name="Dr D", preferred_name="Dee")
    history = [
        HistoryEntry(
            ReferralEvent(
                pk=1, to_status=S.DRAFT, actor=None, at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
            ),
            "",
            False,
        ),
        HistoryEntry(
            ReferralEvent(
                pk=2,
                to_status=S.SENT,
                actor=named,
                at=dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC),
            ),
            'O\'Brien said "soon" <b>&</b>',
            False,
        ),
        HistoryEntry(
            ReferralEvent(
                pk=3,
                to_status=S.FIRST_VISIT_DONE,
                actor=preferred,
                at=dt.datetime(2026, 11, 1, 6, 30, 15, 123456, tzinfo=dt.UTC),
            ),
            "",
            True,
        ),
        HistoryEntry(
            ReferralEvent(
                pk=4,
                to_status="gone",
                actor=preferred,
                at=dt.datetime(2026, 7, 4, 23, 59, tzinfo=dt.UTC),
            ),
            "",
            False,
        ),
    ]

    # When the view formats them, and the template's old loop renders the same steps
    items = views._history_items(history, ZoneInfo(zone))
    reference = (
        engines["django"]
        .from_string(TEMPLATE_HISTORY)
        .render({"history": history, "zone": ZoneInfo(zone)})
    )

    # Then the HTML is the same, byte for byte
    assert str(items) == reference
    assert "&lt;Coordinator&gt; &amp; Co" in items
    assert views._history_items([], ZoneInfo(zone)) == ""
