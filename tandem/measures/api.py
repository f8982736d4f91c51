"""The stateless scoring API: score a questionnaire's answers, list the instruments.

For integrators and for the portal's live score. It stores nothing, reads no
session and needs no sign-in; every caller is rate-limited by client address.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tandem.core import ratelimit
from tandem.measures.instruments import INSTRUMENTS, ScoringError, get_instrument

View = Callable[..., HttpResponse]


def _error(message: str, field: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message, "field": field}, status=status)


def rate_limited(view: View) -> View:
    """Refuse a caller with 429 once their address has used up TANDEM_RATE_LIMITS["measures_api"].

    Counted by allauth's rate limiter in the shared cache, per client address behind
    the trusted proxy (tandem.core.ratelimit).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ratelimit.consume(request, action="measures_api"):
            amount, seconds = ratelimit.first_rate("measures_api")
            period = "a minute" if seconds == 60 else f"every {seconds} seconds"
            response = _error(
                f"Too many requests: at most {amount} {period} from one address. "
                "Try again shortly.",
                "rate",
                status=429,
            )
            response["Retry-After"] = str(seconds)
            return response
        return view(request, *args, **kwargs)

    return wrapper


@rate_limited
def instrument_list(request: HttpRequest) -> HttpResponse:
    """List every instrument with its items, response options and values, licence and source."""
    if request.method != "GET":
        return _error("Use GET to list the instruments.", "method", status=405)
    return JsonResponse({"instruments": [i.as_dict() for i in INSTRUMENTS.values()]})


# CSRF protection guards state changes made with a signed-in user's cookies. This view
# changes nothing, stores nothing and never reads the session or request.user, so a
# forged cross-site request gains nothing; integrators post JSON without a CSRF token.
@csrf_exempt
@rate_limited
def score(request: HttpRequest, instrument_code: str) -> HttpResponse:
    """Score the JSON body ``{"responses": [...], "sex": ...}`` with the instrument ``instrument_code``."""
    if request.method != "POST":
        return _error("Use POST with a JSON body to score answers.", "method", status=405)
    try:
        instrument = get_instrument(instrument_code)
        body = _json_object(request)
        if "responses" not in body:
            raise ScoringError("The body needs a 'responses' list.", field="responses")
        result = instrument.score(body["responses"], body.get("sex"))
    except ScoringError as problem:
        return _error(problem.message, problem.field)
    return JsonResponse(result.as_dict())


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """Return the request body as a JSON object, or raise ScoringError saying what is wrong."""
    try:
        body = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ScoringError("The body must be JSON.", field="body") from None
    if not isinstance(body, dict):
        raise ScoringError("The body must be a JSON object.", field="body")
    return body
