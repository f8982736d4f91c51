from django.urls import path

from tandem.care import views

app_name = "care"

urlpatterns = [
    path("clients/<uuid:client_id>/timeline/", views.timeline, name="timeline"),
    path("clients/<uuid:client_id>/notes/new/", views.note_new, name="note_new"),
    path("clients/<uuid:client_id>/medications/", views.medications, name="medications"),
    path("clients/<uuid:client_id>/check-ins/", views.checkins, name="checkins"),
    path("clients/<uuid:client_id>/messages/", views.threads, name="threads"),
    path("clients/<uuid:client_id>/alerts/new/", views.alert_new, name="alert_new"),
    path("clients/<uuid:client_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("clients/<uuid:client_id>/visits/", views.visits, name="visits"),
    path("notes/<uuid:note_id>/", views.note, name="note"),
    path("notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/pdf/", views.note_pdf, name="note_pdf"),
    path("check-ins/<uuid:checkin_id>/", views.checkin, name="checkin"),
    path("threads/<uuid:thread_id>/", views.thread, name="thread"),
    path("attachments/<uuid:attachment_id>/", views.attachment, name="attachment"),
    path("alerts/<uuid:alert_id>/", views.alert, name="alert"),
    path("rota/<uuid:org_id>/", views.rota, name="rota"),
]
