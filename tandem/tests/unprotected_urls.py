"""A URL conf for the test of the URL walk: the real URLs plus views that get access wrong.

Never include this module in the project's URL conf.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir.auth import Caller
from tandem.fhir.outcome import resource_response
from tandem.fhir.views import fhir_endpoint
from tandem.urls import urlpatterns as real_urlpatterns


def leaky_client(request: HttpRequest, client_id: str, tab: str) -> HttpResponse:
    """Show any client to anyone: the mistake the URL walk exists to catch."""
    client = Client.objects.get(public_id=client_id)
    return HttpResponse(f"{client.first_name} {client.last_name} ({tab})")


def unaudited_client(request: HttpRequest, client_id: str) -> HttpResponse:
    """Ask the policy, then show the client without writing the read to the audit trail."""
    client = policy.get_or_404(request.user, Action.VIEW, Client.objects.all(), public_id=client_id)
    return HttpResponse(f"{client.first_name} {client.last_name}")


def locked_organisation(request: HttpRequest, org_id: str) -> HttpResponse:
    """Refuse everyone, even the practice's own admin (the walk must notice that too)."""
    raise Http404("Not found.")


@require_GET
@fhir_endpoint
def leaky_patient(request: HttpRequest, caller: Caller, client_id: str) -> HttpResponse:
    """Check the bearer token, then answer any client to any token: the policy forgotten."""
    client = Client.objects.get(public_id=client_id)
    name = {"family": client.last_name, "given": [client.first_name]}
    return resource_response({"resourceType": "Patient", "id": str(client_id), "name": [name]})


@require_GET
@fhir_endpoint
def locked_fhir_organization(request: HttpRequest, caller: Caller, org_id: str) -> HttpResponse:
    """Refuse every token, even one of the practice itself (a walk signed in by session
    would get 401 here as from every FHIR view, and never notice)."""
    raise Http404("Not found.")


def section(request: HttpRequest, section: str) -> HttpResponse:
    """Take a path argument that names no object (the test declares it so)."""
    return HttpResponse(section)


def mystery(request: HttpRequest, mystery_id: str) -> HttpResponse:
    """Take an id the URL walk has no factory for."""
    raise Http404("Not found.")


urlpatterns = [
    *real_urlpatterns,
    path("leaky/<uuid:client_id>/<slug:tab>/", leaky_client, name="leaky_client"),
    path("unaudited/<uuid:client_id>/", unaudited_client, name="unaudited_client"),
    path("fhir/Leaky/<uuid:client_id>", leaky_patient, name="leaky_patient"),
    path("fhir/Locked/<uuid:org_id>", locked_fhir_organization, name="locked_fhir_organization"),
    path("sections/<slug:section>/", section, name="section"),
    path("locked/<uuid:org_id>/", locked_organisation, name="locked_organisation"),
    path("mystery/<uuid:mystery_id>/", mystery, name="mystery"),
]
