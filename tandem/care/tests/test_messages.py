"""Secure clinician messaging: threads, consent, attachments checked, read receipts, response target."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.care.messaging import actions as message_actions
from tandem.care.messaging import selectors as message_selectors
from tandem.care.models import CareSettings, Message, MessageRead
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.clock import world_built_on

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
FRIDAY_4PM = dt.datetime(2027, 4, 16, 16, 0, tzinfo=BOSTON)  # Monday the 19th is Patriots' Day
_built = world_built_on(
    dt.datetime(2027, 4, 5, 9, 0, tzinfo=BOSTON)
)  # before the fixed days of April 2027
PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_question_is_due_in_the_practices_business_days_and_a_reply_answers_it():
    world = CareWorld()
    with time_machine.travel(FRIDAY_4PM, tick=False):
        thread, result = message_actions.start_thread(
            actor=world.therapist,
            client=world.client,
            subject="Sleep",
            body="Is the insomnia from the sertraline?",
            is_question=True,
        )
    question = thread.messages.get()
    # 2 business days from Friday: Tuesday 20 (after Patriots' Day), then Wednesday 21, at close
    assert question.due_at == dt.datetime(2027, 4, 21, 17, 0, tzinfo=BOSTON)
    assert [m.user for m in result.delivered] == [world.prescriber, world.coordinator]
    assert (
        Disclosure.objects.filter(
            object_id=str(question.public_id), category=Category.CLINICIAN_MESSAGES
        ).count()
        == 2
    )

    with time_machine.travel(dt.datetime(2027, 4, 22, 9, 0, tzinfo=BOSTON), tick=False):
        [shown] = message_selectors.thread_messages(world.therapist, thread)
        assert shown.overdue
        message_actions.reply(
            actor=world.prescriber, thread=thread, body="Likely; take it in the morning."
        )
    question.refresh_from_db()
    assert question.answered_by_organisation == world.psychiatry
    assert (
        message_selectors.median_response_hours(world.psychiatry.pk) == 137.0
    )  # Friday 16:00 to Thursday 9:00, in clock hours
    assert message_selectors.median_response_hours(world.therapy.pk) is None


def test_the_practice_may_set_one_business_day():
    world = CareWorld()
    CareSettings.objects.create(organisation=world.psychiatry, message_response_days=1)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        thread, _ = message_actions.start_thread(
            actor=world.therapist,
            client=world.client,
            subject="Dose",
            body="Dose?",
            is_question=True,
        )
    assert thread.messages.get().due_at == dt.datetime(2027, 4, 20, 17, 0, tzinfo=BOSTON)


def test_read_receipts_are_recorded_when_the_thread_is_opened():
    world = CareWorld()
    thread, _ = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Plan", body="Hello"
    )
    path = reverse("care:thread", kwargs={"thread_id": thread.public_id})
    assert "Not read yet" in text(http(world.therapist).get(path))

    http(world.prescriber).get(path)

    assert MessageRead.objects.filter(user=world.prescriber).count() == 1
    assert f"Read by {world.prescriber.display_name}" in text(http(world.therapist).get(path))
    assert (
        Notification.objects.filter(
            kind=NotificationKind.CARE_MESSAGE, recipient=world.prescriber
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "scan.png",
            b"%PDF-1.4 not an image",
            "image/png",
            "That file is not the image it claims to be.",
        ),
        ("labs.pdf", PNG, "application/pdf", "That file is not a PDF, whatever its name says."),
        ("photo.jpg", PNG, "image/png", "The file's name does not match its type."),
        ("run.exe", b"MZ\x90\x00", "application/octet-stream", "Attach a PDF, PNG or JPEG file."),
    ],
)
def test_attachments_that_are_not_what_they_claim_are_refused_and_nothing_is_sent(
    name, content, content_type, message
):
    world = CareWorld()
    with pytest.raises(ValidationError) as refused:
        message_actions.start_thread(
            actor=world.therapist,
            client=world.client,
            subject="Labs",
            body="See attached.",
            uploads=[upload(name, content, content_type)],
        )
    assert refused.value.message_dict == {"attachments": [message]}
    assert not Message.objects.exists()


def test_an_attachment_over_the_cap_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        message_actions.check_attachment(
            upload("big.png", PNG + b"\x00" * (1024 * 1024), "image/png")
        )
    assert refused.value.message_dict == {
        "attachments": ["The file is larger than 1 MB; attach a smaller one."]
    }


def test_real_pdfs_and_images_go_through_and_download_for_the_recipient():
    world = CareWorld()
    path = reverse("care:threads", kwargs={"client_id": world.client.public_id})
    response = http(world.therapist).post(
        path,
        {
            "subject": "Labs",
            "body": "TSH attached.",
            "attachments": [
                upload("tsh.pdf", PDF, "application/pdf"),
                upload("chart.png", PNG, "image/png"),
            ],
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    attachments = {a.content_type: a for a in message.attachments.all()}
    assert set(attachments) == {"application/pdf", "image/png"}
    download = http(world.prescriber).get(
        reverse("care:attachment", kwargs={"attachment_id": attachments["image/png"].public_id})
    )
    assert download.status_code == 200
    assert download.content == PNG


def test_without_a_release_the_other_practice_sees_the_message_withheld():
    world = CareWorld(release=False)
    thread, result = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Plan", body="Private detail"
    )
    assert [(m.user, why) for m, why in result.held] == [
        (world.prescriber, "No release from the client covers this."),
        (world.coordinator, "No release from the client covers this."),
    ]
    page = text(
        http(world.prescriber).get(reverse("care:thread", kwargs={"thread_id": thread.public_id}))
    )
    assert "Private detail" not in page
    assert "Withheld — no current release covers messages between clinicians." in page
    assert not MessageRead.objects.filter(user=world.prescriber).exists()


def test_a_subject_is_withheld_like_the_message_it_heads():
    world = CareWorld(release=False)
    thread, _ = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Zqsubjectcanary relapse", body="x"
    )
    threads_url = reverse("care:threads", kwargs={"client_id": world.client.public_id})
    thread_url = reverse("care:thread", kwargs={"thread_id": thread.public_id})

    other = http(world.prescriber)
    for url in (threads_url, thread_url):
        page = text(other.get(url))
        assert "Zqsubjectcanary" not in page
        assert f"Thread {thread.reference}" in page

    # The therapist's own practice still reads its subject.
    assert "Zqsubjectcanary relapse" in text(http(world.therapist).get(threads_url))


def test_with_a_release_the_other_practice_reads_the_subject():
    world = CareWorld(release=True)
    thread, _ = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Sleep since the dose change", body="x"
    )
    shown = message_selectors.shown_threads(world.prescriber, world.client)
    assert [(s.thread, s.title) for s in shown] == [(thread, "Sleep since the dose change")]
