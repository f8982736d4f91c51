"""Gunicorn, the bundled production server: ``.venv/bin/gunicorn tandem.wsgi``.

Gunicorn reads this file from the working directory. Every value can be set from
the environment; the defaults suit one machine behind an HTTPS proxy (or a load
balancer) — run the same file on every machine of a larger deployment: the
processes keep no state of their own (sessions, rate limits and one-time codes live
in PostgreSQL and Redis, the task queue in PostgreSQL).
"""

import gc
import importlib
import logging
import os
import time
from typing import Any

bind = os.environ.get("TANDEM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("TANDEM_THREADS", "2"))
timeout = int(os.environ.get("TANDEM_TIMEOUT", "30"))
graceful_timeout = 30
# Restart a worker now and then, so a slow leak never grows into an outage.
max_requests = int(os.environ.get("TANDEM_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("TANDEM_MAX_REQUESTS_JITTER", "200"))
# Load Tandem once, in the master, before forking: a recycled worker is a fork of a
# process that has already imported everything, so its first request does not stall
# for seconds importing WeasyPrint, fontTools, fido2, PIL and the ICD-10 data.
preload_app = os.environ.get("TANDEM_PRELOAD", "1") != "0"
# Only the proxy on this host may say the request came over HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# REMOTE_ADDR stays the proxy's; Tandem reads the client's address from the entry the
# proxy appends to X-Forwarded-For (TRUSTED_PROXY_COUNT, tandem.core.http.client_ip).
# Tandem writes its own access line per request (tandem.core.logging: the path with
# tokens and email-like parts redacted, never a query string, with the request id),
# so gunicorn's own access log, which would print reset-link tokens in paths, stays off.
accesslog = None
errorlog = "-"
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), so
# a second server on the same host (a test, a benchmark, a second checkout) would take it
# over. Tandem does not use it; an operator who wants it names a path for it.
control_socket = os.environ.get("TANDEM_CONTROL_SOCKET", "")
control_socket_disable = control_socket == ""

#: What a first request may need that Django does not import at start-up.
WARM_UP_MODULES = (
    "tandem.urls",
    "weasyprint",
    "fontTools.ttLib",
    "fontTools.subset",
    "PIL.Image",
    "fido2.server",
    "fido2.webauthn",
    "allauth.mfa.webauthn.internal.auth",
    "tandem.consent.pdf",
    "tandem.care.notes.pdf",
)

_log = logging.getLogger("tandem.server")


def warm_up() -> float:
    """Import what a first request would, build the URL resolver and the ICD-10 table.

    Touches no database and no cache (their connections must not be shared by forks).
    Returns the seconds it took.
    """
    started = time.monotonic()
    for name in WARM_UP_MODULES:
        importlib.import_module(name)
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - builds every URL module once
    from tandem.referrals import icd10

    icd10.lookup("F32.1")
    icd10.search("depress", 1)
    return time.monotonic() - started


def when_ready(server: Any) -> None:
    """In the master, after the preloaded app: warm it up, then freeze it, before the first fork.

    Freezing moves the ~750,000 objects the warmed-up process holds (Django, the URL
    resolver, WeasyPrint, the ICD-10 table) out of the garbage collector's reach: they
    live as long as the worker anyway. Without it, each full collection in a worker
    walks them all (about 0.2 s on the benchmark machine, a request stalled behind it),
    and the walk writes to every object's header, copying the pages a fork shares
    with the master.
    """
    if preload_app:
        seconds = warm_up()
        gc.collect()
        gc.freeze()
        server.log.info(
            "Tandem warmed up in %.1fs; %d objects frozen (workers fork from this process)",
            seconds,
            gc.get_freeze_count(),
        )


def post_fork(server: Any, worker: Any) -> None:
    """A fork must not share the master's sockets: close any connection warm-up opened."""
    if preload_app:
        from django.db import connections

        connections.close_all()
