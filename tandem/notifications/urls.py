from django.urls import path

from tandem.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("unread/", views.unread_badge, name="unread"),
    path("<uuid:notification_id>/", views.open_notification, name="open"),
]
