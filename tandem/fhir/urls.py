from django.urls import path
from oauth2_provider.views import TokenView

from tandem.fhir import qr_create, views

app_name = "fhir"

#: Each read names the object its id is, so the URL walk builds a real one to probe it.
_READS = {
    "Patient": "client_id",
    "ServiceRequest": "referral_id",
    "Task": "referral_id",
    "Consent": "release_id",
    "DocumentReference": "note_id",
    "Organization": "practice_id",
    "Appointment": "appointment_id",
    "MedicationStatement": "medication_id",
    "QuestionnaireResponse": "response_id",
    "Observation": "response_id",
    "Practitioner": "practitioner_id",
    "PractitionerRole": "membership_id",
    "Slot": "slot_id",
    "Schedule": "schedule_id",
    "Questionnaire": "questionnaire_id",
    "Communication": "message_id",
    "AuditEvent": "audit_event_id",
}

urlpatterns = [
    path("", views.transaction, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("auth/token", TokenView.as_view(), name="token"),
    # Before the search route of the same path: POST creates, GET searches as before.
    path(
        "QuestionnaireResponse",
        qr_create.collection,
        {"resource_type": "QuestionnaireResponse"},
        name="questionnaireresponse-create",
    ),
]
for resource_type, kwarg in _READS.items():
    urlpatterns += [
        path(
            f"{resource_type}",
            views.search,
            {"resource_type": resource_type},
            name=f"{resource_type.lower()}-search",
        ),
        path(
            f"{resource_type}/<uuid:{kwarg}>",
            views.instance,
            {"resource_type": resource_type},
            name=f"{resource_type.lower()}-read",
        ),
    ]
