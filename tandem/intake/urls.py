from django.urls import path

from tandem.intake import views

app_name = "intake"

urlpatterns = [
    path("practices/<uuid:practice_id>/", views.practice_page, name="practice"),
    path("intake/messages/", views.inbox, name="inbox"),
    path("intake/invite/<str:token>/", views.invitation, name="invitation"),
    path("intake/<uuid:practice_id>/start/", views.start, name="start"),
    path("intake/<uuid:practice_id>/", views.thread, name="thread"),
    path("intake/<uuid:practice_id>/verify/", views.verify, name="verify"),
    path("intake/confirm/<str:token>/", views.confirm_email, name="confirm"),
]
