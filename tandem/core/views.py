"""Views of the infrastructure itself: the session keep-alive and the health check.

The site's pages (home, dashboard) live in `tandem.workspace`, which may import every app.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST


@login_required
@require_POST
def keepalive(request: HttpRequest) -> JsonResponse:
    """Extend an active session (the idle warning's "stay signed in" button calls this)."""
    return JsonResponse({"ok": True})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
