"""Views of the infrastructure itself: the session keep-alive and the probes.

The site's pages (home, dashboard) live in `tandem.workspace`, which may import every app.

``/healthz`` is liveness: the process answers, nothing else is touched (a database
outage must not make a load balancer restart every healthy process). ``/readyz`` is
readiness: the database, the cache and the task queue this process depends on each
answer, or the probe says 503 and names which did not, so the balancer stops sending
requests here. Neither says more than a check's name and the exception's class: no
host, no password, no data.
"""

import secrets
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_tasks_db.models import DBTaskResult

_PROBE_KEY = "tandem:readyz"


@login_required
@require_POST
def keepalive(request: HttpRequest) -> JsonResponse:
    """Extend an active session (the idle warning's "stay signed in" button calls this)."""
    return JsonResponse({"ok": True})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process is up and serving. Touches no database, cache or queue."""
    return HttpResponse("ok", content_type="text/plain")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    # A value of our own, read back: a cache that accepts writes but drops them is not ready.
    # The key is this probe's own: probes of several processes run at the same moment.
    token = secrets.token_hex(8)
    key = f"{_PROBE_KEY}:{token}"
    cache.set(key, token, timeout=30)
    try:
        if cache.get(key) != token:
            raise LookupError("the cache did not return what was written")
    finally:
        cache.delete(key)


def _task_queue() -> None:
    # The queue is the django-tasks-db table: reachable when one indexed row can be read.
    DBTaskResult.objects.only("pk").exists()


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "task_queue": _task_queue,
}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, 503 naming the ones that did not."""
    checks: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure makes this process not ready
            # The class only: a driver's message can carry the host or the user name.
            checks[name] = f"error: {type(error).__name__}"
        else:
            checks[name] = "ok"
    failed = [name for name, status in checks.items() if status != "ok"]
    return JsonResponse(
        {"status": "fail" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )
