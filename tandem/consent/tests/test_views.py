"""The consent pages through HTTP: prepare, attest a paper release, PDFs, the accounting, expiring."""

import csv
import datetime as dt
import html as htmllib
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tandem.audit.models import AuditAction, AuditEvent
from tandem.consent import actions
from tandem.consent.categories import Category, ExpiryEvent, Purpose
from tandem.consent.decision import Party
from tandem.consent.models import Disclosure, PartyRole, Release, ReleaseKind, ReleaseStatus
from tandem.consent.tests.factories import World
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.audit import fewer_on_postgresql
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
# Pinned query counts (session, user, the navigation's roles, the page's own reads, audit row;
# for clinicians, the open-alert banner's one query). The user comes with their second
# factor and client record (tandem.accounts.backends): the MFA check and the client-record
# lookup are no longer queries of their own (were 6, 14 and 17; the client's page had no
# MFA check, so lost one).
ACCOUNTING_QUERIES = 5
# Both pages: no open-alert banner query (no alert waits for the viewer: asked with the user); were 12 and 15.
EXPIRING_QUERIES = 11 - fewer_on_postgresql()
STATUS_QUERIES = 14 - fewer_on_postgresql()


def http(user=None) -> HttpClient:
    client = HttpClient()
    if user is not None:
        client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def text_of(pdf: bytes) -> str:
    """Return the text of a PDF, with runs of whitespace folded to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def disclose(world, category=Category.DIAGNOSIS, description="Diagnosis summary for referral"):
    return actions.disclose(
        actor=world.therapist,
        client=world.client,
        category=category,
        source=Party(world.therapy.pk, world.therapist.pk),
        recipient=Party(world.psychiatry.pk, world.prescriber.pk),
        purpose=Purpose.TREATMENT_COORDINATION,
        description=description,
    )


# --- Prepare a release -------------------------------------------------------------------


def prepare_url(world):
    return reverse("consent:prepare", kwargs={"client_id": world.client.public_id})


def valid_post(world, **overrides):
    data = {
        "kind": ReleaseKind.GENERAL,
        "categories": [Category.DIAGNOSIS, Category.MEDICATIONS],
        "disclosing_organisation": str(world.therapy.public_id),
        "receiving_organisation": str(world.psychiatry.public_id),
        "named_clinician": "",
        "two_way": "on",
        "purpose": Purpose.REFERRAL,
        "purpose_detail": "Psychiatric evaluation at Harborlight",
        "effective_from": timezone.localdate().isoformat(),
        "expires_on": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
        "expiry_event": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_prepare_page_offers_category_labels_and_the_organisations_that_may_be_named():
    world = World()
    unrelated_therapy = OrganisationFactory(kind="therapy", name="Unrelated Therapy Rooms")

    response = http(world.therapist).get(prepare_url(world))

    assert response.status_code == 200
    page = html(response)
    for category in Category:
        assert category.label in page
    # The care team's practice and every active psychiatric practice; not other therapy practices.
    assert "Maple Street Counseling (therapy practice)" in page
    assert "Harborlight Psychiatry (psychiatric practice)" in page
    assert "Unnamed Other Practice (psychiatric practice)" in page
    assert unrelated_therapy.name not in page
    assert world.prescriber.display_name in page


def test_therapist_prepares_a_release_and_the_client_is_told_without_details():
    world = World()

    response = http(world.therapist).post(
        prepare_url(world),
        valid_post(
            world,
            named_clinician=str(world.prescriber.memberships.get().public_id),
            expiry_event=ExpiryEvent.END_OF_TREATMENT,
        ),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == reverse(
        "consent:client_status", kwargs={"client_id": world.client.public_id}
    )
    release = Release.objects.get(client=world.client)
    assert (release.status, release.kind, release.categories, release.purpose) == (
        ReleaseStatus.DRAFT,
        ReleaseKind.GENERAL,
        [Category.DIAGNOSIS, Category.MEDICATIONS],
        Purpose.REFERRAL,
    )
    assert release.two_way is True
    assert release.expires_on == timezone.localdate() + dt.timedelta(days=365)
    assert release.expiry_event == ExpiryEvent.END_OF_TREATMENT
    assert sorted((p.role, p.organisation.name, p.user_id) for p in release.parties.all()) == [
        (PartyRole.DISCLOSER, "Maple Street Counseling", None),
        (PartyRole.RECIPIENT, "Harborlight Psychiatry", world.prescriber.pk),
    ]
    notification = Notification.objects.get(recipient=world.client_user)
    assert notification.kind == NotificationKind.RELEASE_TO_SIGN
    assert notification.link == reverse("consent:sign", kwargs={"release_id": release.public_id})


def test_one_way_release_when_the_toggle_is_off():
    world = World()

    http(world.therapist).post(prepare_url(world), valid_post(world, two_way=None))

    assert Release.objects.get(client=world.client).two_way is False


@pytest.mark.parametrize(
    ("overrides", "field_label", "message"),
    [
        (
            {"expires_on": "", "expiry_event": ""},
            "End date",
            "A release needs an end: a date, or an event such as the end of treatment.",
        ),
        ({"expires_on": "2020-01-01"}, "End date", "The end date is in the past."),
        (
            {"effective_from": "2031-06-01", "expires_on": "2031-01-01"},
            "End date",
            "The end date must be on or after the start date.",
        ),
        (
            {"categories": [Category.DIAGNOSIS, "horoscope"]},
            "Information to share",
            "Unknown category: horoscope. Choose from the listed kinds of information.",
        ),
        (
            {"categories": [Category.DIAGNOSIS, Category.PSYCHOTHERAPY_NOTES]},
            "Information to share",
            "Psychotherapy notes and Part 2 substance use records each need a release of their own.",
        ),
        (
            {"kind": ReleaseKind.PART2, "categories": [Category.SUBSTANCE_USE]},
            "Information to share",
            "A Part 2 consent must name substance use disorder records (42 CFR Part 2).",
        ),
        ({"categories": []}, "Information to share", "Choose at least one kind of information."),
        ({"purpose": ""}, "Purpose", "Choose the purpose of the disclosure."),
        (
            {"receiving_organisation": ""},
            "Who may receive",
            "Choose the organisation that may receive the information.",
        ),
        (
            {"expires_on": "next spring"},
            "End date",
            "Enter the end date as a date, e.g. 2026-05-17.",
        ),
    ],
)
def test_bad_input_names_the_field_keeps_what_was_typed_and_saves_nothing(
    overrides, field_label, message
):
    world = World()

    response = http(world.therapist).post(prepare_url(world), valid_post(world, **overrides))

    assert response.status_code == 400
    page = html(response)
    assert f"{field_label}: {message}" in page  # the error summary names the field
    assert 'value="Psychiatric evaluation at Harborlight"' in page  # nothing typed is lost
    assert f'<option value="{world.therapy.public_id}" selected>' in page
    assert not Release.objects.exists()
    assert not Notification.objects.exists()


def test_named_clinician_must_work_at_the_receiving_organisation():
    world = World()
    elsewhere_prescriber = make_staff(Role.PRESCRIBER, world.elsewhere)

    response = http(world.therapist).post(
        prepare_url(world),
        valid_post(world, named_clinician=str(elsewhere_prescriber.memberships.get().public_id)),
    )

    assert response.status_code == 400
    assert f"{elsewhere_prescriber.display_name} does not work at Harborlight Psychiatry" in html(
        response
    )
    assert not Release.objects.exists()


def test_an_inactive_clinician_cannot_be_named():
    world = World()
    membership = world.prescriber.memberships.get()
    membership.is_active = False
    membership.save()

    response = http(world.therapist).post(
        prepare_url(world), valid_post(world, named_clinician=str(membership.public_id))
    )

    assert response.status_code == 400
    assert "Choose an active clinician from the list." in html(response)
    assert not Release.objects.exists()


def test_a_part2_consent_can_be_prepared_with_its_own_kind():
    world = World()

    response = http(world.therapist).post(
        prepare_url(world),
        valid_post(world, kind=ReleaseKind.PART2, categories=[Category.PART2_RECORDS]),
    )

    assert response.status_code == 302
    assert Release.objects.get().kind == ReleaseKind.PART2


@pytest.mark.parametrize("who", ["coordinator", "outsider therapist", "the client"])
def test_only_the_treating_clinicians_may_prepare(who):
    world = World()
    if who == "coordinator":
        user = make_staff(Role.COORDINATOR, world.psychiatry)
        add_to_care_team(world.client, user, Role.COORDINATOR)
    elif who == "outsider therapist":
        user = make_staff(Role.THERAPIST)
    else:
        user = world.client_user

    get = http(user).get(prepare_url(world))
    post = http(user).post(prepare_url(world), valid_post(world))

    assert (get.status_code, post.status_code) == (404, 404)
    assert not Release.objects.exists()


def test_prepare_page_is_linked_from_the_consent_status_and_the_client_record():
    world = World()
    status = http(world.therapist).get(
        reverse("consent:client_status", kwargs={"client_id": world.client.public_id})
    )
    detail = http(world.therapist).get(
        reverse("clients:detail", kwargs={"client_id": world.client.public_id})
    )

    assert f'href="{prepare_url(world)}"' in html(status)
    assert f'href="{prepare_url(world)}"' in html(detail)


# --- Paper releases ----------------------------------------------------------------------


def attest_url(release):
    return reverse("consent:attest", kwargs={"release_id": release.public_id})


def attest_post(upload, **overrides):
    data = {"file": upload, "signed_on": timezone.localdate().isoformat(), "attest": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("release.pdf", b"GIF89a not a pdf", "application/pdf"),
            "That file is not a PDF, whatever its name says.",
        ),
        (
            SimpleUploadedFile("release.txt", b"%PDF-1.4 but a text name", "text/plain"),
            "Upload a PDF file (.pdf).",
        ),
        (SimpleUploadedFile("release.pdf", b"", "application/pdf"), "The file is empty."),
    ],
)
def test_attest_refuses_files_that_are_not_a_pdf(upload, message):
    world = World()
    release = world.prepare()

    response = http(world.therapist).post(attest_url(release), attest_post(upload))

    assert response.status_code == 400
    assert f"Signed paper release (PDF): {message}" in html(response)
    release.refresh_from_db()
    assert (release.status, release.is_paper, release.paper_file.name) == (
        ReleaseStatus.DRAFT,
        False,
        "",
    )


def test_attest_refuses_a_file_over_the_cap(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    world = World()
    release = world.prepare()
    big = SimpleUploadedFile(
        "release.pdf", PDF_BYTES + b"0" * (1024 * 1024), content_type="application/pdf"
    )

    response = http(world.therapist).post(attest_url(release), attest_post(big))

    assert response.status_code == 400
    assert "The file is larger than 1 MB; upload a smaller PDF." in html(response)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT


def test_attest_needs_the_attestation_box_ticked():
    world = World()
    release = world.prepare()
    upload = SimpleUploadedFile("release.pdf", PDF_BYTES, "application/pdf")

    response = http(world.therapist).post(attest_url(release), attest_post(upload, attest=None))

    assert response.status_code == 400
    assert "Tick the box to attest to the paper signature." in html(response)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT


def test_attesting_a_signed_pdf_marks_the_release_signed_on_paper():
    world = World()
    release = world.prepare()
    upload = SimpleUploadedFile("release.pdf", PDF_BYTES, "application/pdf")
    signed_on = timezone.localdate() - dt.timedelta(days=1)

    response = http(world.therapist).post(
        attest_url(release), attest_post(upload, signed_on=signed_on.isoformat())
    )

    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.is_paper, release.attested_by) == (
        ReleaseStatus.SIGNED,
        True,
        world.therapist,
    )
    assert timezone.localdate(release.signed_at) == signed_on
    assert release.paper_file.read() == PDF_BYTES


def test_attesting_an_already_signed_release_is_refused_with_the_reason():
    world = World()
    release = world.signed()
    upload = SimpleUploadedFile("release.pdf", PDF_BYTES, "application/pdf")

    page = http(world.therapist).get(attest_url(release))
    response = http(world.therapist).post(attest_url(release), attest_post(upload))

    assert "This release is signed; there is nothing to attest." in html(page)
    assert response.status_code == 400
    assert "This release is already signed." in html(response)
    release.refresh_from_db()
    assert release.is_paper is False


def test_the_client_cannot_attest_their_own_paper_release():
    world = World()
    release = world.prepare()
    upload = SimpleUploadedFile("release.pdf", PDF_BYTES, "application/pdf")

    response = http(world.client_user).post(attest_url(release), attest_post(upload))

    assert response.status_code == 404
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT


# --- The PDF of a signed release ---------------------------------------------------------


def pdf_url(release):
    return reverse("consent:release_pdf", kwargs={"release_id": release.public_id})


def test_client_downloads_the_signed_release_as_a_pdf_with_the_signature():
    world = World()
    signing = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # 11:00 AM in Massachusetts (EDT)
    with time_machine.travel(signing, tick=False):
        release = world.signed(expires_on=dt.date(2027, 3, 1))

    response = http(world.client_user).get(pdf_url(release))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="release-{release.public_id}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = text_of(response.content)
    typed = f"{world.client.first_name} {world.client.last_name}"
    assert f"Typed name {typed}" in text
    assert "March 10, 2026, 11:00:00 AM (America/New_York)" in text
    assert "From IP address 192.0.2.10" in text
    assert "Electronically in Tandem" in text
    assert "Diagnosis and diagnostic considerations" in text  # the frozen text signed
    assert "42 CFR 2.32" not in text
    [export] = audit_rows(AuditAction.EXPORT)
    assert (export.actor_id, export.object_id, export.detail) == (
        world.client_user.pk,
        str(release.public_id),
        {"format": "pdf"},
    )


def test_the_pdf_of_a_part2_consent_carries_the_redisclosure_notice():
    world = World()
    release = world.signed(kind=ReleaseKind.PART2, categories=[Category.PART2_RECORDS])

    response = http(world.therapist).get(pdf_url(release))

    assert response.status_code == 200
    text = text_of(response.content)
    assert "Notice to recipients (42 CFR 2.32)." in text
    assert "protected by Federal confidentiality rules (42 CFR part 2)" in text
    assert "(C) You have received the record from a covered entity" in text


def test_the_pdf_of_a_paper_release_says_so():
    world = World()
    release = world.prepare()
    actions.attest_paper_release(
        actor=world.therapist,
        release=release,
        upload=SimpleUploadedFile("r.pdf", PDF_BYTES, "application/pdf"),
        signed_on=timezone.localdate(),
    )

    text = text_of(http(world.client_user).get(pdf_url(release)).content)

    assert (
        f"On paper; the signed copy was uploaded and attested by {world.therapist.display_name}"
        in text
    )


def test_a_revoked_release_can_still_be_downloaded_and_says_it_is_revoked():
    world = World()
    release = world.signed()
    actions.revoke_release(actor=world.client_user, release=release)

    response = http(world.client_user).get(pdf_url(release))

    assert response.status_code == 200
    assert "Revoked on " in text_of(response.content)


def test_no_pdf_for_an_unsigned_release_or_for_outsiders():
    world = World()
    draft = world.prepare()
    signed = world.signed()
    outsider = make_staff(Role.PRESCRIBER, world.psychiatry)  # named party, not on the care team

    assert http(world.client_user).get(pdf_url(draft)).status_code == 404
    assert http(outsider).get(pdf_url(signed)).status_code == 404
    assert http(UserFactory()).get(pdf_url(signed)).status_code == 404
    assert audit_rows(AuditAction.EXPORT) == []


# --- Accounting of disclosures -----------------------------------------------------------


def test_the_accounting_lists_exactly_the_disclosures_made():
    world = World()
    release = world.signed(categories=[Category.DIAGNOSIS, Category.MEDICATIONS])
    disclose(world, Category.DIAGNOSIS, "Diagnosis summary for referral")
    disclose(world, Category.MEDICATIONS, "Current medication list")
    # Refused (not covered), so not a disclosure.
    assert not disclose(world, Category.SAFETY, "Safety plan").allowed
    other = World()
    other.signed()
    disclose(other, Category.DIAGNOSIS, "Someone else's diagnosis")

    response = http(world.client_user).get(reverse("consent:disclosures"))

    assert response.status_code == 200
    page = html(response)
    rows = re.findall(r'<tr data-disclosure="([0-9a-f-]+)">', page)
    mine = list(Disclosure.objects.filter(client=world.client).order_by("-disclosed_at", "-pk"))
    assert rows == [str(d.public_id) for d in mine]
    assert "Current medication list" in page
    assert "Diagnosis summary for referral" in page
    assert "Safety plan" not in page
    assert "Someone else" not in page
    assert "Coordination of treatment" in page
    assert f"{world.prescriber.display_name}, Harborlight Psychiatry" in page
    assert f'href="{pdf_url(release)}"' in page


def test_disclosures_survive_revocation():
    world = World()
    release = world.signed()
    disclose(world, Category.DIAGNOSIS, "Diagnosis summary for referral")

    actions.revoke_release(actor=world.client_user, release=release)
    refused = disclose(world, Category.DIAGNOSIS, "Sent after revoking")

    assert refused.allowed is False
    page = html(http(world.client_user).get(reverse("consent:disclosures")))
    assert "Diagnosis summary for referral" in page
    assert "(since revoked)" in page
    assert "Sent after revoking" not in page


def test_accounting_downloads_as_csv_with_every_column_and_is_audited():
    world = World()
    release = world.signed()
    disclose(world, Category.DIAGNOSIS, "=HYPERLINK(evil) summary")

    response = http(world.client_user).get(reverse("consent:disclosures_csv"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="disclosures.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Date",
        "Recipient",
        "Recipient organisation",
        "Information",
        "Description",
        "Purpose",
        "Allowed by release",
        "Release signed",
        "Part 2 notice sent",
    ]
    [row] = rows[1:]
    assert row[1:] == [
        f"{world.prescriber.display_name}, Harborlight Psychiatry",
        "Harborlight Psychiatry",
        "Diagnosis and diagnostic considerations",
        "'=HYPERLINK(evil) summary",  # never a formula in a spreadsheet
        "Coordination of treatment",
        str(release.public_id),
        timezone.localdate(release.signed_at).isoformat(),
        "no",
    ]
    [export] = audit_rows(AuditAction.EXPORT)
    assert export.detail["format"] == "csv"
    assert export.detail["disclosures"] == [
        str(d.public_id) for d in Disclosure.objects.filter(client=world.client)
    ]


def test_accounting_downloads_as_pdf_and_is_audited():
    world = World()
    world.signed()
    disclose(world, Category.DIAGNOSIS, "Diagnosis summary for referral")

    response = http(world.client_user).get(reverse("consent:disclosures_pdf"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="disclosures.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = text_of(response.content)
    assert "Diagnosis summary for referral" in text
    assert "Coordination of treatment" in text
    [export] = audit_rows(AuditAction.EXPORT)
    assert export.detail["format"] == "pdf"


def test_the_accounting_is_the_clients_own_page():
    world = World()
    for name in ("consent:disclosures", "consent:disclosures_csv", "consent:disclosures_pdf"):
        assert http(world.therapist).get(reverse(name)).status_code == 404
        assert http().get(reverse(name)).status_code == 302  # to sign-in
    assert audit_rows(AuditAction.EXPORT) == []


def _accounting_with(n):
    world = World()
    world.signed(categories=[Category.DIAGNOSIS, Category.MEDICATIONS])
    for i in range(n):
        disclose(world, Category.DIAGNOSIS, f"Disclosure number {i}")
    return world


@pytest.mark.parametrize("n", [3, 60])
def test_accounting_page_costs_a_constant_number_of_queries(n, django_assert_num_queries):
    world = _accounting_with(n)
    browser = http(world.client_user)
    browser.get(reverse("core:dashboard"))  # the session is loaded once, as on any later page

    with django_assert_num_queries(ACCOUNTING_QUERIES):
        response = browser.get(reverse("consent:disclosures"))

    assert html(response).count("<tr data-disclosure=") == n


# --- Releases expiring soon --------------------------------------------------------------


def test_practice_sees_releases_naming_it_that_expire_within_30_days_soonest_first():
    world = World()
    today = timezone.localdate()
    in_20 = world.signed(expires_on=today + dt.timedelta(days=20))
    in_5 = world.signed(expires_on=today + dt.timedelta(days=5), categories=[Category.SAFETY])
    world.signed(expires_on=today + dt.timedelta(days=45))  # not soon
    revoked = world.signed(expires_on=today + dt.timedelta(days=3))
    actions.revoke_release(actor=world.client_user, release=revoked)
    world.prepare(expires_on=today + dt.timedelta(days=2))  # never signed
    world.signed(expires_on=None, expiry_event=ExpiryEvent.END_OF_TREATMENT)  # no date
    # Another client's release, also naming the therapist's practice, but not their client.
    other = ClientFactory()
    other_therapist = make_staff(Role.THERAPIST, world.therapy)
    add_to_care_team(other, other_therapist, Role.THERAPIST, primary=True)

    response = http(world.therapist).get(reverse("consent:expiring"))

    assert response.status_code == 200
    page = html(response)
    assert re.findall(r'<tr data-release="([0-9a-f-]+)">', page) == [
        str(in_5.public_id),
        str(in_20.public_id),
    ]
    assert "in 5 days" in page
    assert "Maple Street Counseling ⇄ Harborlight Psychiatry" in page
    assert f"{world.client.first_name} {world.client.last_name}" in page


def test_expiring_list_shows_only_clients_on_the_viewers_care_teams():
    world = World()
    world.signed(expires_on=timezone.localdate() + dt.timedelta(days=10))

    # The prescriber's practice is named, but the prescriber is not on the client's care team.
    not_on_team = http(world.prescriber).get(reverse("consent:expiring"))
    add_to_care_team(world.client, world.prescriber, Role.PRESCRIBER)
    on_team = http(world.prescriber).get(reverse("consent:expiring"))

    assert html(not_on_team).count("<tr data-release=") == 0
    assert "No release ends within 30 days." in html(not_on_team)
    assert html(on_team).count("<tr data-release=") == 1


def test_expiring_list_is_for_practice_staff_only():
    world = World()
    assert http(world.client_user).get(reverse("consent:expiring")).status_code == 404


@pytest.mark.parametrize("n", [1, 6])
def test_expiring_list_costs_a_constant_number_of_queries(n, django_assert_num_queries):
    world = World()
    for i in range(n):
        world.signed(expires_on=timezone.localdate() + dt.timedelta(days=i + 1))
    browser = http(world.therapist)
    browser.get(reverse("core:dashboard"))

    with django_assert_num_queries(EXPIRING_QUERIES):
        response = browser.get(reverse("consent:expiring"))

    assert html(response).count("<tr data-release=") == n


# --- The clinician's consent status ------------------------------------------------------


def status_url(world):
    return reverse("consent:client_status", kwargs={"client_id": world.client.public_id})


def row_of(page, category):
    match = re.search(rf'<tr data-category="{category}">(.*?)</tr>', page, re.S)
    assert match, category
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_status_shows_direction_and_end_per_category_and_withheld_rows():
    world = World()
    world.signed(
        categories=[Category.DIAGNOSIS, Category.MEDICATIONS],
        two_way=False,
        expires_on=dt.date(2031, 1, 15),
        recipients=[actions.PartySpec(world.psychiatry, world.prescriber)],
    )
    world.signed(
        categories=[Category.CONSULT_NOTES],
        expires_on=None,
        expiry_event=ExpiryEvent.END_OF_TREATMENT,
    )

    page = html(http(world.therapist).get(status_url(world)))

    assert row_of(page, Category.DIAGNOSIS) == (
        "Diagnosis and diagnostic considerations Maple Street Counseling → "
        f"{world.prescriber.display_name}, Harborlight Psychiatry Jan 15, 2031"
    )
    assert row_of(page, Category.CONSULT_NOTES) == (
        "Consultation notes Maple Street Counseling ⇄ Harborlight Psychiatry both ways "
        "The end of my treatment with the recipient"
    )
    assert row_of(page, Category.SAFETY) == (
        "Safety and risk information Withheld — no current release covers safety and risk information"
    )


def test_after_revocation_every_category_is_withheld():
    world = World()
    release = world.signed()
    actions.revoke_release(actor=world.client_user, release=release)

    page = html(http(world.therapist).get(status_url(world)))

    for category in Category:
        assert row_of(page, category).endswith(
            f"Withheld — no current release covers {category.label.lower()}"
        )


@pytest.mark.parametrize("n", [1, 5])
def test_status_page_costs_a_constant_number_of_queries(n, django_assert_num_queries):
    world = World()
    for _ in range(n):
        world.signed()
    world.prepare()
    browser = http(world.therapist)
    browser.get(reverse("core:dashboard"))

    with django_assert_num_queries(STATUS_QUERIES):
        response = browser.get(status_url(world))

    assert response.status_code == 200


def test_the_dashboard_leads_clients_to_their_releases_and_staff_to_expiring_ones():
    world = World()

    client_page = html(http(world.client_user).get(reverse("core:dashboard")))
    therapist_page = html(http(world.therapist).get(reverse("core:dashboard")))

    assert f'href="{reverse("consent:mine")}"' in client_page
    assert f'href="{reverse("consent:disclosures")}"' in client_page
    assert f'href="{reverse("consent:expiring")}"' not in client_page
    assert f'href="{reverse("consent:expiring")}"' in therapist_page


# --- What the client is told when revoking -------------------------------------------------------

NO_EXCEPTION_TEXT = (
    "Nothing more will be shared under this release from the moment you confirm. "
    "What was already shared stays with the recipient, and in your list of what has been shared."
)
EXCEPTION_TEXT = (
    "Maple Street Counseling may still share information with Harborlight Psychiatry for your "
    "treatment without a release, as the law allows between treating providers, but only when "
    "a clinician records the legal basis for each disclosure. Every such disclosure appears in "
    "your list of what has been shared."
)


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_revoking_says_exactly_what_stops_when_no_exception_applies():
    world = World()
    release = world.signed()
    browser = http(world.client_user)

    page = html(browser.get(reverse("consent:mine")))
    response = browser.post(
        reverse("consent:revoke", kwargs={"release_id": release.public_id}), follow=True
    )

    assert NO_EXCEPTION_TEXT in page
    assert "may still share" not in page
    assert _messages(response) == [
        "Revoked. "
        + NO_EXCEPTION_TEXT.replace(" from the moment you confirm", "")
        + " Your clinicians have been told."
    ]


def test_revoking_tells_the_client_the_treatment_exception_continues_only_with_a_recorded_basis():
    """Given the therapist's practice relies on the treatment exception, when the client revokes,
    the confirmation and the releases page never claim that nothing more will be shared."""
    world = World()
    world.therapy.treatment_disclosures_without_release = True
    world.therapy.save()
    release = world.signed(two_way=False)
    browser = http(world.client_user)

    before = html(browser.get(reverse("consent:mine")))
    response = browser.post(
        reverse("consent:revoke", kwargs={"release_id": release.public_id}), follow=True
    )
    after = html(response)

    assert EXCEPTION_TEXT in before
    assert _messages(response) == [
        "Revoked. "
        + NO_EXCEPTION_TEXT.replace(" from the moment you confirm", "")
        + " "
        + EXCEPTION_TEXT
        + " Your clinicians have been told."
    ]
    # The revoked release keeps saying what remains true.
    ended = after.split("Revoked or replaced", 1)[1]
    assert EXCEPTION_TEXT in ended


def test_the_prepare_form_offers_referral_and_ongoing_coordination_as_one_choice_explained():
    world = World()

    page = html(http(world.therapist).get(prepare_url(world)))

    radios = re.findall(r'<input type="radio" name="purpose" value="([a-z_]+)"', page)
    assert radios == [
        Purpose.REFERRAL_AND_COORDINATION,
        Purpose.REFERRAL,
        Purpose.TREATMENT_COORDINATION,
        Purpose.SECOND_OPINION,
        Purpose.AT_CLIENT_REQUEST,
    ]
    assert (
        "A release is honoured only for the purposes it states. Referral only lets the practice "
        "see the referral, but nothing is shared afterwards, such as medication changes or "
        "consultation notes: choose referral and ongoing coordination to cover both."
    ) in page


def test_a_release_prepared_for_referral_and_coordination_says_both_to_the_client():
    world = World()

    response = http(world.therapist).post(
        prepare_url(world), valid_post(world, purpose=Purpose.REFERRAL_AND_COORDINATION)
    )

    assert response.status_code == 302
    release = Release.objects.get(client=world.client)
    assert release.purpose == Purpose.REFERRAL_AND_COORDINATION
    assert (
        "4. Purpose: Referral for psychiatric evaluation, then ongoing coordination of treatment"
        in actions.render_release_text(release)
    )


# --- Recording the legal basis of a treatment disclosure after a revocation --------------------


def basis_url(world):
    return reverse("consent:record_basis", kwargs={"client_id": world.client.public_id})


def _basis_post(world, **overrides):
    data = {
        "recipient_organisation": str(world.psychiatry.public_id),
        "category": Category.MEDICATIONS,
        "description": "Current medication list, by phone to the covering prescriber",
        "legal_basis": "treatment",
        "note": "Client admitted overnight; the covering prescriber needs the medication list.",
    } | overrides
    return data


def _revoked_under_exception(world):
    world.therapy.treatment_disclosures_without_release = True
    world.therapy.save()
    actions.revoke_release(actor=world.client_user, release=world.signed())


def test_a_clinician_records_the_legal_basis_and_the_client_sees_it_in_their_list():
    world = World()
    _revoked_under_exception(world)
    therapist = http(world.therapist)

    status_page = html(therapist.get(status_url(world)))
    form_page = therapist.get(basis_url(world))
    response = therapist.post(basis_url(world), _basis_post(world))

    assert f'href="{basis_url(world)}"' in status_page
    assert form_page.status_code == 200
    assert "Harborlight Psychiatry" in html(form_page)
    assert response.status_code == 302
    assert response.headers["Location"] == status_url(world)
    row = Disclosure.objects.get()
    assert (row.legal_basis, row.category, row.recipient_organisation) == (
        "treatment",
        Category.MEDICATIONS,
        world.psychiatry,
    )
    accounting = html(http(world.client_user).get(reverse("consent:disclosures")))
    assert (
        "Treatment between providers, without a release — legal basis recorded by a clinician: "
        "Treatment: the recipient treats the client and needs this to treat them "
        "(45 CFR 164.506(c)(2)). Client admitted overnight; the covering prescriber needs the "
        "medication list."
    ) in htmllib.unescape(accounting)


def test_recording_a_basis_without_a_note_names_the_field_and_records_nothing():
    world = World()
    _revoked_under_exception(world)

    response = http(world.therapist).post(basis_url(world), _basis_post(world, note=""))

    assert response.status_code == 400
    assert (
        "Write why this disclosure is needed for the client&#x27;s treatment: it is shown to "
        "the client in their list of what has been shared."
    ) in html(response)
    assert not Disclosure.objects.exists()


def test_only_the_clients_treating_clinicians_may_record_a_basis():
    world = World()
    _revoked_under_exception(world)
    coordinator = make_staff(Role.COORDINATOR, world.therapy)
    add_to_care_team(world.client, coordinator, Role.COORDINATOR)

    for who in (coordinator, world.prescriber, world.client_user):
        assert http(who).post(basis_url(world), _basis_post(world)).status_code == 404
    assert not Disclosure.objects.exists()
