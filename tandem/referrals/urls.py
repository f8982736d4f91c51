from django.urls import path

from tandem.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.tracker, name="tracker"),
    path("inbox/", views.inbox, name="inbox"),
    path("icd10/", views.icd10_search, name="icd10"),
    path("new/<uuid:client_id>/", views.start, name="start"),
    path("<uuid:referral_id>/", views.detail, name="detail"),
    path("<uuid:referral_id>/edit/", views.edit, name="edit"),
    path("<uuid:referral_id>/move/", views.move, name="move"),
    path("<uuid:referral_id>/attachments/", views.add_attachment, name="add_attachment"),
    path(
        "<uuid:referral_id>/attachments/<uuid:document_id>/",
        views.attachment,
        name="attachment",
    ),
]
