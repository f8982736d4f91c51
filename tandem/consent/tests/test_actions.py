"""Preparing, signing, revoking and disclosing — and what each leaves behind."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.consent import actions
from tandem.consent.actions import PartySpec
from tandem.consent.categories import PART2_NOTICE, Category, LegalBasis, Purpose
from tandem.consent.decision import Party, Reason
from tandem.consent.models import Disclosure, Release, ReleaseKind, ReleaseStatus
from tandem.consent.states import TransitionError
from tandem.consent.tests.factories import World
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import UserFactory, make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


def _disclose(world, category=Category.DIAGNOSIS, description="Diagnosis in referral packet"):
    return actions.disclose(
        actor=world.therapist,
        client=world.client,
        category=category,
        source=Party(world.therapy.pk, world.therapist.pk),
        recipient=Party(world.psychiatry.pk, world.prescriber.pk),
        purpose=Purpose.TREATMENT_COORDINATION,
        description=description,
    )


# --- preparing -----------------------------------------------------------------


def test_prepared_release_waits_for_signature_and_tells_the_client_without_phi(
    django_capture_on_commit_callbacks,
):
    world = World()
    with django_capture_on_commit_callbacks(execute=True):
        release = world.prepare()
    run_worker()

    assert release.status == ReleaseStatus.DRAFT
    assert list(release.history.values_list("to_status", flat=True)) == [ReleaseStatus.DRAFT]
    note = Notification.objects.get(recipient=world.client_user)
    assert note.kind == NotificationKind.RELEASE_TO_SIGN
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [world.client_user.email]
    for phi in (world.client.first_name, world.client.last_name, "Diagnosis", "Harborlight"):
        assert phi not in sent.subject + sent.body
    # the link (it needs sign-in) opens the notification, which goes on to the release
    assert reverse("notifications:open", args=[note.public_id]) in sent.body
    assert str(release.public_id) in note.link


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"expires_on": None}, "expires_on", "A release needs an end"),
        ({"expires_on": dt.date(2020, 1, 1)}, "expires_on", "in the past"),
        (
            {"effective_from": dt.date(2031, 1, 1), "expires_on": dt.date(2030, 1, 1)},
            "expires_on",
            "on or after the start date",
        ),
        ({"categories": ["horoscope"]}, "categories", "Unknown category: horoscope"),
        ({"categories": []}, "categories", "at least one"),
        ({"categories": [Category.PSYCHOTHERAPY_NOTES]}, "categories", "release of their own"),
        ({"recipients": []}, "recipients", "Name who may receive"),
    ],
)
def test_bad_release_is_refused_naming_the_field_and_nothing_is_saved(overrides, field, message):
    world = World()
    with pytest.raises(ValidationError) as caught:
        world.prepare(**overrides)
    assert field in caught.value.message_dict
    assert any(message in m for m in caught.value.message_dict[field])
    assert not Release.objects.exists()


def test_recipient_must_be_an_active_clinician():
    world = World()
    not_a_clinician = UserFactory()
    with pytest.raises(ValidationError) as caught:
        world.prepare(recipients=[PartySpec(world.psychiatry, not_a_clinician)])
    assert "not an active clinician" in caught.value.message_dict["recipients"][0]


def test_only_the_care_team_may_prepare_a_release():
    world = World()
    outsider = make_staff(Role.THERAPIST)
    with pytest.raises(Forbidden):
        world.prepare(actor=outsider)
    assert not Release.objects.exists()


# --- signing ---------------------------------------------------------------------


def test_signing_freezes_the_exact_text_with_name_time_and_ip():
    world = World()
    release = world.sign(world.prepare())

    assert release.status == ReleaseStatus.SIGNED
    assert release.signed_name == f"{world.client.first_name} {world.client.last_name}"
    assert release.signed_ip == "192.0.2.10"
    assert release.signed_text_sha256 == hashlib.sha256(release.signed_text.encode()).hexdigest()
    for statement in (
        "revoke this authorization at any time",
        "not conditioned on signing",
        "redisclosed",
    ):
        assert (
            statement
            in release.signed_text.replace("Treatment is not", "not").replace(
                "will not depend", "not conditioned on signing"
            )
            or statement in release.signed_text
        )
    assert "Harborlight Psychiatry" in release.signed_text
    assert "version 2026.1" in release.signed_text
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(release.public_id)
    ).exists()


def test_signing_twice_is_refused():
    world = World()
    release = world.signed()
    with pytest.raises(TransitionError, match="already signed"):
        world.sign(release)


def test_signing_a_revoked_release_is_refused():
    world = World()
    release = world.signed()
    actions.revoke_release(actor=world.client_user, release=release)
    with pytest.raises(TransitionError, match="revoked"):
        world.sign(Release.objects.get(pk=release.pk))


def test_signing_text_that_changed_under_the_reader_is_refused():
    world = World()
    release = world.prepare()
    with pytest.raises(ValidationError, match="changed while you were reading"):
        world.sign(release, shown_text_sha256="0" * 64)
    assert Release.objects.get(pk=release.pk).status == ReleaseStatus.DRAFT


def test_someone_else_cannot_sign_for_the_client():
    world = World()
    release = world.prepare()
    with pytest.raises(Forbidden):
        world.sign(release, actor=world.therapist)


def test_minor_needs_a_personal_representative():
    world = World()
    world.client.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 16)
    world.client.save()
    release = world.prepare()
    with pytest.raises(ValidationError) as caught:
        world.sign(release)
    assert "personal representative" in caught.value.message_dict["representative_name"][0]
    signed = world.sign(
        release, representative_name="Pat Example", representative_authority="Parent"
    )
    assert (signed.status, signed.representative_authority) == (ReleaseStatus.SIGNED, "Parent")


def test_expiry_reminders_are_queued_for_30_and_7_days_and_sent_once(
    django_capture_on_commit_callbacks,
):
    world = World()
    release = world.prepare(expires_on=timezone.localdate() + dt.timedelta(days=60))
    with django_capture_on_commit_callbacks(execute=True):
        world.sign(release)

    run_worker()  # sends the "signed" notice; the reminders are not due yet
    assert not Notification.objects.filter(kind=NotificationKind.RELEASE_EXPIRING).exists()
    mail.outbox.clear()

    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()  # a second pass finds nothing more to send
    told = Notification.objects.filter(kind=NotificationKind.RELEASE_EXPIRING)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [world.client_user.pk, world.therapist.pk]
    )
    assert len(mail.outbox) == 2


# --- revoking --------------------------------------------------------------------


def test_revocation_stops_what_was_not_yet_disclosed_and_keeps_the_accounting(
    django_capture_on_commit_callbacks,
):
    world = World()
    release = world.signed()
    assert _disclose(world).allowed
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        actions.revoke_release(actor=world.client_user, release=release)
    run_worker()

    decision = _disclose(world, description="Medication update")
    assert (decision.allowed, decision.reason) == (False, Reason.REVOKED)
    assert list(Disclosure.objects.values_list("description", flat=True)) == [
        "Diagnosis in referral packet"
    ]
    told = set(
        Notification.objects.filter(kind=NotificationKind.RELEASE_REVOKED).values_list(
            "recipient_id", flat=True
        )
    )
    assert world.therapist.pk in told
    assert all(world.client.last_name not in m.body for m in mail.outbox)


def test_revoking_twice_is_refused_with_a_clear_message():
    world = World()
    release = world.signed()
    actions.revoke_release(actor=world.client_user, release=release)
    with pytest.raises(TransitionError, match="already revoked"):
        actions.revoke_release(actor=world.client_user, release=release)
    assert Release.objects.get(pk=release.pk).history.count() == 3


def test_only_the_client_may_revoke():
    world = World()
    release = world.signed()
    with pytest.raises(Forbidden):
        actions.revoke_release(actor=world.therapist, release=release)
    assert Release.objects.get(pk=release.pk).status == ReleaseStatus.SIGNED


# --- disclosing ------------------------------------------------------------------


def test_disclosure_is_recorded_with_recipient_purpose_and_release():
    world = World()
    release = world.signed()

    decision = _disclose(world)

    assert decision.allowed
    row = Disclosure.objects.get()
    assert (row.release, row.category, row.purpose) == (
        release,
        Category.DIAGNOSIS,
        Purpose.TREATMENT_COORDINATION,
    )
    assert row.recipient_name == f"{world.prescriber.display_name}, Harborlight Psychiatry"
    assert (row.part2_notice, row.part2_notice_text) == (False, "")
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.DISCLOSE, client_id=str(world.client.public_id)
        ).count()
        == 1
    )


def test_refused_disclosure_records_nothing():
    world = World()
    decision = _disclose(world)
    assert not decision.allowed
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_part2_disclosure_carries_the_redisclosure_notice():
    world = World()
    world.signed(kind=ReleaseKind.PART2, categories=[Category.PART2_RECORDS])
    assert _disclose(world, Category.PART2_RECORDS, "SUD treatment summary").allowed
    assert Disclosure.objects.get().part2_notice is True
    assert "42 CFR part 2" in PART2_NOTICE
    # The row keeps the exact 42 CFR 2.32 notice that went with the records.
    assert Disclosure.objects.get().part2_notice_text == PART2_NOTICE


# --- paper releases --------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("release.pdf", b"GIF89a....", content_type="application/pdf"),
            "not a PDF",
        ),
        (SimpleUploadedFile("release.png", PDF_BYTES, content_type="image/png"), "Upload a PDF"),
        (SimpleUploadedFile("release.pdf", b"", content_type="application/pdf"), "empty"),
    ],
)
def test_paper_release_must_be_a_real_pdf(upload, message):
    world = World()
    release = world.prepare()
    with pytest.raises(ValidationError, match=message):
        actions.attest_paper_release(
            actor=world.therapist, release=release, upload=upload, signed_on=timezone.localdate()
        )
    assert Release.objects.get(pk=release.pk).status == ReleaseStatus.DRAFT


def test_paper_release_over_the_cap_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 100
    world = World()
    release = world.prepare()
    upload = SimpleUploadedFile(
        "release.pdf", PDF_BYTES + b"x" * 200, content_type="application/pdf"
    )
    with pytest.raises(ValidationError, match="larger than"):
        actions.attest_paper_release(
            actor=world.therapist, release=release, upload=upload, signed_on=timezone.localdate()
        )


def test_attested_paper_release_counts_as_signed():
    world = World()
    release = world.prepare()
    upload = SimpleUploadedFile("release.pdf", PDF_BYTES, content_type="application/pdf")
    signed = actions.attest_paper_release(
        actor=world.therapist, release=release, upload=upload, signed_on=timezone.localdate()
    )
    assert (signed.status, signed.is_paper, signed.attested_by) == (
        ReleaseStatus.SIGNED,
        True,
        world.therapist,
    )
    assert _disclose(world).allowed


# --- after a revocation: the treatment exception only with a recorded legal basis -------------


def _revoked_with_exception_on(world):
    world.therapy.treatment_disclosures_without_release = True
    world.therapy.save()
    return actions.revoke_release(actor=world.client_user, release=world.signed())


def _record(world, actor=None, **overrides):
    kwargs = {
        "actor": actor or world.therapist,
        "client": world.client,
        "recipient_organisation": world.psychiatry,
        "category": Category.MEDICATIONS,
        "description": "Current medication list, by phone to the covering prescriber",
        "legal_basis": LegalBasis.TREATMENT,
        "note": "Client admitted overnight; the covering prescriber needs the medication list.",
    } | overrides
    return actions.record_treatment_disclosure(**kwargs)


def test_after_revocation_a_treatment_disclosure_goes_only_with_a_recorded_legal_basis():
    world = World()
    _revoked_with_exception_on(world)

    refused = _disclose(world, Category.MEDICATIONS)
    assert (refused.allowed, refused.reason) == (False, Reason.REVOKED_NEEDS_RECORDED_BASIS)
    assert not Disclosure.objects.exists()

    decision = _record(world)

    assert (decision.allowed, decision.reason) == (True, Reason.ALLOWED_RECORDED_BASIS)
    row = Disclosure.objects.get()
    assert (
        row.release,
        row.basis,
        row.legal_basis,
        row.legal_basis_note,
        row.source_organisation,
        row.recipient_organisation,
        row.recipient_name,
        row.purpose,
        row.disclosed_by,
    ) == (
        None,
        Reason.ALLOWED_RECORDED_BASIS,
        LegalBasis.TREATMENT,
        "Client admitted overnight; the covering prescriber needs the medication list.",
        world.therapy,
        world.psychiatry,
        "Harborlight Psychiatry",
        Purpose.TREATMENT_COORDINATION,
        world.therapist,
    )
    event = AuditEvent.objects.get(action=AuditAction.DISCLOSE)
    assert event.detail == {
        "category": Category.MEDICATIONS,
        "release": "",
        "legal_basis": LegalBasis.TREATMENT,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"note": "  "},
            "note",
            "Write why this disclosure is needed for the client's treatment: it is shown to the "
            "client in their list of what has been shared.",
        ),
        (
            {"description": ""},
            "description",
            "Say what you are sharing, without clinical details: the client reads it.",
        ),
        ({"legal_basis": ""}, "legal_basis", "Choose the legal basis for this disclosure."),
        (
            {"category": Category.PSYCHOTHERAPY_NOTES},
            "category",
            "Psychotherapy notes and Part 2 substance use records are never shared without "
            "the client's own authorization.",
        ),
    ],
)
def test_recording_a_basis_names_the_missing_field_and_records_nothing(overrides, field, message):
    world = World()
    _revoked_with_exception_on(world)

    with pytest.raises(ValidationError) as refused:
        _record(world, **overrides)

    assert refused.value.message_dict == {field: [message]}
    assert not Disclosure.objects.exists()


def test_a_recorded_basis_is_refused_where_the_exception_does_not_apply():
    world = World()
    actions.revoke_release(actor=world.client_user, release=world.signed())  # exception off

    with pytest.raises(ValidationError) as refused:
        _record(world)

    assert refused.value.message_dict == {"__all__": ["The client revoked the release."]}
    assert not Disclosure.objects.exists()


def test_only_the_clients_treating_clinicians_record_a_basis():
    world = World()
    _revoked_with_exception_on(world)
    coordinator = make_staff(Role.COORDINATOR, world.therapy)
    from tandem.core.tests.factories import add_to_care_team

    add_to_care_team(world.client, coordinator, Role.COORDINATOR)
    outsider = make_staff(Role.THERAPIST, world.elsewhere)

    for who in (coordinator, outsider, world.client_user):
        with pytest.raises(Forbidden):
            _record(world, actor=who)
    assert not Disclosure.objects.exists()
