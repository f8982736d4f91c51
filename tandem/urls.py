from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from tandem.accounts.views import admin_login
from tandem.core import bench
from tandem.fhir.openapi import openapi_json

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tandem.workspace.urls")),
    path("accounts/", include("tandem.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("clients/", include("tandem.clients.urls")),
    path("organisations/", include("tandem.organisations.urls")),
    # The practice settings sections owned by the apps whose models they change.
    path("organisations/", include("tandem.referrals.settings_urls")),
    path("organisations/", include("tandem.scheduling.settings_urls")),
    path("organisations/", include("tandem.directory.settings_urls")),
    path("organisations/", include("tandem.fhir.roster_urls")),
    path("audit/", include("tandem.audit.reports.urls")),
    path("consent/", include("tandem.consent.urls")),
    path("referrals/", include("tandem.referrals.urls")),
    path("notifications/", include("tandem.notifications.urls")),
    path("care/", include("tandem.care.urls")),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("api/v1/", include("tandem.measures.api_urls")),
    path("fhir/", include("tandem.fhir.urls")),
    path("measures/", include("tandem.measures.urls")),
    path("directory/", include("tandem.directory.urls")),
    path("", include("tandem.intake.urls")),
    path("scheduling/", include("tandem.scheduling.urls")),
]

if settings.TANDEM_ADMIN_ENABLED:
    # The admin's own form checks only the password; Tandem's sign-in asks for both factors.
    admin.site.login = admin_login  # type: ignore[method-assign]
    urlpatterns.append(path("django-admin/", admin.site.urls))

if settings.TANDEM_BENCH:
    # The load benchmark's ratio base (bench/load.py); never mounted unless TANDEM_BENCH=1.
    urlpatterns.insert(0, path(bench.BENCH_PATH, bench.hello, name="bench_hello"))
    urlpatterns.insert(0, path(bench.SIGNED_IN_PATH, bench.signed_in, name="bench_signed_in"))
