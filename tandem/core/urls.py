from django.urls import path

from tandem.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("session/keepalive/", views.keepalive, name="keepalive"),
    path("healthz", views.healthz, name="healthz"),
]
