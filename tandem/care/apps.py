from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tandem.care"
    label = "care"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers the access rules, the signal receivers that queue
        # the timers (``tasks``), and care's timeline providers.
        from tandem.care import tasks  # noqa: F401
        from tandem.care.checkins import access as checkins_access  # noqa: F401
        from tandem.care.checkins.timeline import progress_checkins
        from tandem.care.crisis import access as crisis_access  # noqa: F401
        from tandem.care.crisis import settings_views as crisis_settings  # noqa: F401
        from tandem.care.crisis.selectors import ALERT_MAY_WAIT, alert_may_wait
        from tandem.care.crisis.timeline import safety_alerts
        from tandem.care.medications import access as medications_access  # noqa: F401
        from tandem.care.medications.timeline import medication_changes
        from tandem.care.messaging import access as messaging_access  # noqa: F401
        from tandem.care.messaging.timeline import messages
        from tandem.care.models import (
            ConsultNote,
            MedicationEvent,
            Message,
            ProgressCheckIn,
            SafetyAlert,
        )
        from tandem.care.notes import access as notes_access  # noqa: F401
        from tandem.care.notes.timeline import consult_notes
        from tandem.core import policy, timeline
        from tandem.core.timeline import Kind

        # The open-alert banner on every page: whether any alert may wait for the user comes
        # with the user's own query instead of a query of its own.
        policy.register_user_column(ALERT_MAY_WAIT, alert_may_wait())

        for kind, provider, model in (
            (Kind.CONSULT_NOTE, consult_notes, ConsultNote),
            (Kind.MEDICATION, medication_changes, MedicationEvent),
            (Kind.CHECKIN, progress_checkins, ProgressCheckIn),
            (Kind.MESSAGE, messages, Message),
            (Kind.SAFETY, safety_alerts, SafetyAlert),
        ):
            timeline.register((kind,), provider, tables={kind: (model, "client")})
