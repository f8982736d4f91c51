"""Collaboration after the referral: consult notes, medications, check-ins, messages, crisis.

Every item belongs to one client and was written by one organisation (its
``organisation``); whether another organisation on the care team sees it is
the consent engine's decision, made each time it is shown.

The models live in the sub-domain packages (``notes``, ``medications``,
``checkins``, ``messaging``, ``crisis``, ``visits``) and in ``practice``; they
all belong to the one app labelled ``care``. This module gathers them so that
Django (and the migrations, which name the reference functions here) find them.
Code of the app imports from the sub-package that owns a model.
"""

from __future__ import annotations

from tandem.care.checkins.models import (
    Change,
    CheckInCadence,
    CheckInStatus,
    Engagement,
    ProgressCheckIn,
)
from tandem.care.crisis.models import (
    SAFETY_PLAN_SECTIONS,
    AlertLevel,
    AlertSource,
    AlertStatus,
    HospitalisationOutcome,
    OnCallShift,
    SafetyAlert,
    SafetyAlertEvent,
    SafetyPlan,
)
from tandem.care.medications.models import MedicationChange, MedicationEvent
from tandem.care.messaging.models import Message, MessageAttachment, MessageRead, MessageThread
from tandem.care.notes.models import (
    Addendum,
    ConsultNote,
    DeliveryStatus,
    NoteDelivery,
    NoteStatus,
    WorkUp,
)
from tandem.care.practice import CareSettings
from tandem.care.references import (
    alert_ref,
    checkin_ref,
    med_ref,
    note_ref,
    short_reference,
    thread_ref,
)
from tandem.care.visits.models import VisitPlan

# The names the migrations use for the reference defaults.
_note_ref = note_ref
_med_ref = med_ref
_checkin_ref = checkin_ref
_thread_ref = thread_ref
_alert_ref = alert_ref

__all__ = [
    "SAFETY_PLAN_SECTIONS",
    "Addendum",
    "AlertLevel",
    "AlertSource",
    "AlertStatus",
    "CareSettings",
    "Change",
    "CheckInCadence",
    "CheckInStatus",
    "ConsultNote",
    "DeliveryStatus",
    "Engagement",
    "HospitalisationOutcome",
    "MedicationChange",
    "MedicationEvent",
    "Message",
    "MessageAttachment",
    "MessageRead",
    "MessageThread",
    "NoteDelivery",
    "NoteStatus",
    "OnCallShift",
    "ProgressCheckIn",
    "SafetyAlert",
    "SafetyAlertEvent",
    "SafetyPlan",
    "VisitPlan",
    "WorkUp",
    "short_reference",
]
