from django.urls import path

from tandem.core import views as core_views
from tandem.workspace import views

# The site's own pages keep their names (core:home, core:dashboard, ...): templates and
# tests in every app link to them, and the names say nothing about where the view lives.
app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("session/keepalive/", core_views.keepalive, name="keepalive"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
]
