from django.urls import path
from oauth2_provider.views import TokenView

from tandem.fhir import export_views, history, qr_create, smart, views
from tandem.fhir.versions import CURRENT_ONLY, WITH_HISTORY

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
    path("auth/authorize", smart.AuthorizeView.as_view(), name="authorize"),
    path(".well-known/smart-configuration", smart.configuration, name="smart-configuration"),
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
    # vread where a versionId is served; the history of the resources that keep one.
    if resource_type in WITH_HISTORY + CURRENT_ONLY:
        urlpatterns.append(
            path(
                f"{resource_type}/<uuid:{kwarg}>/_history/<str:vid>",
                history.vread,
                {"resource_type": resource_type},
                name=f"{resource_type.lower()}-vread",
            )
        )
    if resource_type in WITH_HISTORY:
        urlpatterns.append(
            path(
                f"{resource_type}/<uuid:{kwarg}>/_history",
                history.history,
                {"resource_type": resource_type},
                name=f"{resource_type.lower()}-history",
            )
        )

# Bulk Data $export of the practice's own data (export.py, export_views.py).
urlpatterns += [
    path("$export", export_views.kick_off, name="export"),
    path("bulk-status/<uuid:job_id>", export_views.status, name="export-status"),
    path(
        "bulk-files/<uuid:job_id>/<str:resource_type>",
        export_views.download,
        name="export-file",
    ),
]
