from django.urls import path

from tandem.care import views
from tandem.care.checkins import views as checkins
from tandem.care.crisis import views as crisis
from tandem.care.medications import views as medications
from tandem.care.messaging import views as messaging
from tandem.care.notes import views as notes
from tandem.care.visits import views as visits

app_name = "care"

urlpatterns = [
    path("clients/<uuid:client_id>/timeline/", views.timeline, name="timeline"),
    path("clients/<uuid:client_id>/notes/new/", notes.note_new, name="note_new"),
    path("clients/<uuid:client_id>/medications/", medications.medications, name="medications"),
    path("medications/search/", medications.drug_search, name="drug_search"),
    path("clients/<uuid:client_id>/check-ins/", checkins.checkins, name="checkins"),
    path("clients/<uuid:client_id>/messages/", messaging.threads, name="threads"),
    path("clients/<uuid:client_id>/alerts/new/", crisis.alert_new, name="alert_new"),
    path("clients/<uuid:client_id>/safety-plan/", crisis.safety_plan, name="safety_plan"),
    path("clients/<uuid:client_id>/visits/", visits.visits, name="visits"),
    path("notes/<uuid:note_id>/", notes.note, name="note"),
    path("notes/<uuid:note_id>/edit/", notes.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/pdf/", notes.note_pdf, name="note_pdf"),
    path("check-ins/<uuid:checkin_id>/", checkins.checkin, name="checkin"),
    path("threads/<uuid:thread_id>/", messaging.thread, name="thread"),
    path("attachments/<uuid:attachment_id>/", messaging.attachment, name="attachment"),
    path("alerts/<uuid:alert_id>/", crisis.alert, name="alert"),
    path("rota/<uuid:org_id>/", crisis.rota, name="rota"),
]
