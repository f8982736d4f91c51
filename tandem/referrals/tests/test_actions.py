"""The closed loop: starting, drafting, sending, and every move either side can make."""

import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.models import CareTeamMember
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import actions
from tandem.referrals.actions import IneligibleError, StaleReferralError
from tandem.referrals.models import DeclineReason, Payer, Referral, ReferralReason
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.states import TransitionError
from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


def test_ineligible_client_is_stopped_before_anything_is_stored():
    world = ReferralWorld()
    with pytest.raises(IneligibleError) as caught:
        world.start(payer=Payer.MEDICARE, visit_state="NH")
    assert [m.field for m in caught.value.mismatches] == ["visit_state", "payer"]
    assert not Referral.objects.exists()


def test_under_18_and_over_64_are_refused_for_the_articles_practice():
    world = ReferralWorld()
    world.client.date_of_birth = world.client.date_of_birth.replace(year=2015)
    world.client.save()
    with pytest.raises(IneligibleError, match="sees adults from 18"):
        world.start()
    world.client.date_of_birth = world.client.date_of_birth.replace(year=1950)
    world.client.save()
    with pytest.raises(IneligibleError, match="up to 64"):
        world.start()


def test_the_same_click_twice_opens_one_draft():
    world = ReferralWorld()
    key = uuid.uuid4()
    first = world.start(idempotency_key=key)
    second = world.start(idempotency_key=key)
    assert first.pk == second.pk
    assert Referral.objects.count() == 1


def test_only_the_clients_therapist_may_refer():
    world = ReferralWorld()
    with pytest.raises(Forbidden):
        world.start(actor=make_staff(Role.THERAPIST))
    assert not Referral.objects.exists()


def test_draft_keeps_good_fields_and_names_the_bad_ones():
    world = ReferralWorld()
    referral = world.start()
    errors = actions.save_draft(
        actor=world.therapist,
        referral=referral,
        data={"diagnoses": ["F41.1", "Z99.999"], "treatment_history": "Weekly CBT."},
    )
    assert list(errors) == ["diagnoses"]
    assert "Z99.999" in errors["diagnoses"][0]
    referral.refresh_from_db()
    assert (referral.diagnoses, referral.treatment_history) == (["F41.1"], "Weekly CBT.")


def test_icd_codes_are_normalised():
    world = ReferralWorld()
    referral = world.start()
    actions.save_draft(
        actor=world.therapist, referral=referral, data={"diagnoses": ["f411", " g47.33 "]}
    )
    referral.refresh_from_db()
    assert referral.diagnoses == ["F41.1", "G47.33"]


def test_a_referral_with_no_reason_cannot_be_sent():
    world = ReferralWorld()
    referral = world.drafted(reasons=[])
    with pytest.raises(ValidationError) as caught:
        actions.send_referral(actor=world.therapist, referral=referral)
    assert caught.value.message_dict["reasons"] == ["Give at least one reason for the referral."]
    assert Referral.objects.get(pk=referral.pk).status == S.DRAFT


def test_sending_starts_the_clock_and_tells_the_practice_without_phi(
    django_capture_on_commit_callbacks,
):
    world = ReferralWorld()
    referral = world.drafted()
    with django_capture_on_commit_callbacks(execute=True):
        sent = actions.send_referral(actor=world.therapist, referral=referral)
    run_worker()

    assert sent.status == S.SENT
    assert sent.due_at is not None
    assert sent.due_at > sent.sent_at
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {world.coordinator.pk, world.admin.pk}
    assert mail.outbox
    for message in mail.outbox:
        assert message.subject == "You have a new update in Tandem"
        for phi in (world.client.first_name, world.client.last_name, "panic", "F41", "CBT"):
            assert phi not in message.body


def test_double_send_sends_once(django_capture_on_commit_callbacks):
    world = ReferralWorld()
    referral = world.drafted()
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_referral(actor=world.therapist, referral=referral)
        actions.send_referral(actor=world.therapist, referral=referral)
    assert Referral.objects.get(pk=referral.pk).events.filter(to_status=S.SENT).count() == 1
    assert Notification.objects.count() == 2  # coordinator and admin, once each


def test_safety_concerns_make_it_urgent_with_an_hours_clock_and_tell_on_call():
    world = ReferralWorld()
    sent = world.sent(reasons=[ReferralReason.SAFETY], safety_ideation=True)
    assert sent.urgent
    assert (sent.due_at - sent.sent_at).total_seconds() == 4 * 3600
    assert Notification.objects.filter(
        recipient=world.prescriber, kind=NotificationKind.REFERRAL_URGENT
    ).exists()


def test_the_whole_loop_with_each_move_audited():
    world = ReferralWorld()
    r = world.sent()
    steps: list[tuple[Any, User, dict[str, Any]]] = [
        (actions.receive, world.coordinator, {}),
        (actions.request_info, world.coordinator, {"question": "Any recent thyroid labs?"}),
        (actions.answer, world.therapist, {"answer": "TSH normal in March."}),
        (actions.accept, world.coordinator, {"assigned_prescriber": world.prescriber}),
        (actions.schedule, world.coordinator, {}),
        (actions.first_visit_done, world.coordinator, {}),
        (actions.consult_note_sent, world.prescriber, {}),
        (actions.close, world.coordinator, {}),
    ]
    for named_move, actor, extra in steps:
        r = named_move(actor=actor, referral=r, expected_version=r.version, **extra)
    assert r.status == S.CLOSED
    assert list(r.events.values_list("to_status", flat=True)) == [
        S.DRAFT,
        S.SENT,
        S.RECEIVED,
        S.INFO_REQUESTED,
        S.RECEIVED,
        S.ACCEPTED,
        S.SCHEDULED,
        S.FIRST_VISIT_DONE,
        S.CONSULT_NOTE_SENT,
        S.CLOSED,
    ]
    assert (r.info_request, r.info_response) == ("Any recent thyroid labs?", "TSH normal in March.")
    assert r.responded_at is not None
    updates = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(r.public_id))
    assert updates.count() >= len(steps) + 1
    # Accepting put the coordinator and the prescriber on the client's care team.
    roles = set(CareTeamMember.objects.filter(client=world.client).values_list("role", flat=True))
    assert roles == {Role.THERAPIST, Role.COORDINATOR, Role.PRESCRIBER}


def test_wrong_side_and_illegal_moves_are_refused_and_change_nothing():
    world = ReferralWorld()
    r = world.sent()
    with pytest.raises(TransitionError, match="Only the receiving practice"):
        actions.accept(actor=world.therapist, referral=r)
    with pytest.raises(TransitionError, match="cannot become scheduled"):
        actions.schedule(actor=world.coordinator, referral=r)
    with pytest.raises(TransitionError, match="Only the referring therapist can cancel"):
        actions.cancel(actor=world.coordinator, referral=r)
    with pytest.raises(Forbidden):
        actions.receive(actor=make_staff(Role.COORDINATOR), referral=r)
    assert Referral.objects.get(pk=r.pk).status == S.SENT


def test_decline_needs_a_reason_and_can_redirect():
    world = ReferralWorld()
    r = world.sent()
    with pytest.raises(ValidationError) as caught:
        actions.decline(actor=world.coordinator, referral=r, decline_reason="")
    assert "decline_reason" in caught.value.message_dict
    r = actions.decline(
        actor=world.coordinator,
        referral=r,
        decline_reason=DeclineReason.NOT_ACCEPTING,
        redirect_to=world.elsewhere,
    )
    assert (r.status, r.redirect_to) == (S.DECLINED, world.elsewhere)


def test_nothing_moves_a_closed_referral():
    world = ReferralWorld()
    r = world.sent()
    r = actions.cancel(actor=world.therapist, referral=r)
    with pytest.raises(TransitionError, match="cancelled; nothing more can change"):
        actions.receive(actor=world.coordinator, referral=r)


def test_two_coordinators_at_once_one_wins_the_other_is_told():
    world = ReferralWorld()
    other = make_staff(Role.COORDINATOR, world.psychiatry)
    r = world.sent()
    seen = r.version
    actions.accept(actor=world.coordinator, referral=r, expected_version=seen)
    with pytest.raises(StaleReferralError, match="Someone else updated this referral"):
        actions.decline(
            actor=other,
            referral=r,
            expected_version=seen,
            decline_reason=DeclineReason.OTHER,
            note="Full",
        )
    assert Referral.objects.get(pk=r.pk).status == S.ACCEPTED
