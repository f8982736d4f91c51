"""What the load benchmark (bench/load.py) needs from the server, only when TANDEM_BENCH=1.

``hello`` is the ratio base: the same server's cheapest possible answer (no database,
no session, no template), so a page's requests per second can be read as a share of
what the stack can do at all. ``signed_in`` is the other floor: a signed-in page that
shows nothing but the navigation, so a page's own cost is what it takes above it. ``BenchMiddleware`` adds two response headers,
``X-Query-Count`` (SQL queries the request ran) and ``X-Server-Ms`` (time inside
Django, middleware included): figures for the benchmark, never for production,
where neither is mounted (``settings.TANDEM_BENCH`` is off unless set).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

BENCH_PATH = "bench/hello"
SIGNED_IN_PATH = "bench/signed-in"


@require_GET
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


@require_GET
@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    """A signed-in page with nothing on it: the fixed cost every page pays.

    The whole middleware stack (session, user, second factor, idle clock), the
    navigation's context and ``base.html`` with its banner, and no data of its own:
    a page's cost above this one is its own.
    """
    return render(request, "bench/signed_in.html")


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


class BenchMiddleware:
    """Count the request's SQL queries and time it, into X-Query-Count and X-Server-Ms."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _Counter()
        started = time.perf_counter()
        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Server-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        response["X-Query-Count"] = str(counter.count)
        return response
