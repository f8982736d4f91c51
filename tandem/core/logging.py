"""Logging helpers. Log lines carry request ids and object ids, never clinical values.

Three safeguards keep protected health information out of the logs:

- ``ScrubPathFilter`` removes query strings (search boxes put names there) and
  path segments that look like secrets or personal data (allauth's email
  confirmation and password-reset keys, email addresses) from Django's request
  and server log lines. Tandem's own paths carry only random UUIDs.
- ``PhiSafeFormatter`` prints a traceback's frames and exception types but not
  exception messages, which often quote the values that failed (a database
  error's DETAIL line, a validation error's input).
- ``AccessLogMiddleware`` writes one line per request with the method, the
  scrubbed path, the status and the duration, so every request id in the audit
  trail can be found in the logs.

``JsonFormatter`` (production's default, ``LOG_FORMAT=json``) writes each record as
one JSON object per line, for a log collector that gathers several machines: the
same scrubbed message and withheld exception text, with the request id a field.
"""

import json
import logging
import re
import time
import traceback
from collections.abc import Callable
from types import TracebackType

from django.http import HttpRequest, HttpResponse

from tandem.core.middleware import current_request_id

access_logger = logging.getLogger("tandem.access")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# A request line as django.server logs it ("GET /path?q=x HTTP/1.1") or a bare path.
_PATH_IN_TEXT = re.compile(r"^(?P<method>[A-Z]+ )?(?P<path>/\S*)(?P<proto> HTTP/[0-9.]+)?$")
REDACTED = "<redacted>"
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def scrub_path(path: str) -> str:
    """Return ``path`` without its query string and without segments that may carry data.

    A segment survives when it is a UUID or a short plain word (``clients``,
    ``detail``); anything long, or holding ``@``, ``:``, ``%`` or ``=``, is
    replaced, because such segments are tokens, emails or typed-in values.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    kept = []
    for segment in path.split("/"):
        if not segment or _UUID.match(segment):
            kept.append(segment)
        elif len(segment) > 24 or any(ch in segment for ch in "@:%=+"):
            kept.append(REDACTED)
        else:
            kept.append(segment)
    return "/".join(kept)


def _scrub_text(value: str) -> str:
    match = _PATH_IN_TEXT.match(value)
    if not match:
        return value
    return f"{match['method'] or ''}{scrub_path(match['path'])}{match['proto'] or ''}"


class RequestIdFilter(logging.Filter):
    """Attach the current request id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class ScrubPathFilter(logging.Filter):
    """Strip query strings and data-bearing path segments from paths in log arguments.

    Django's ``django.request``, ``django.security.*`` and ``django.server``
    loggers pass the path (or the whole request line) as a ``%s`` argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _scrub_text(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = _scrub_text(record.msg)
        return True


class PhiSafeFormatter(logging.Formatter):
    """Format tracebacks with frames and exception types but without exception messages."""

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        exc = ei[1]
        if exc is None:
            return ""
        # Walk the chain the way the interpreter prints it: oldest exception first.
        chain: list[tuple[BaseException, str]] = []
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if current.__cause__ is not None:
                link, following = _CAUSE, current.__cause__
            elif current.__context__ is not None and not current.__suppress_context__:
                link, following = _CONTEXT, current.__context__
            else:
                link, following = "", None
            chain.append((current, link))
            current = following
        parts: list[str] = []
        for item, link_to_older in reversed(chain):
            parts.append(link_to_older)
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(item.__traceback__))
            name = f"{type(item).__module__}.{type(item).__qualname__}"
            parts.append(f"{name}: <message withheld: it may quote client data>\n")
        return "".join(parts).rstrip("\n")


class JsonFormatter(PhiSafeFormatter):
    """One JSON object per line: time, level, logger, request id, message (+ status, traceback).

    The message is the one the filters scrubbed; the traceback is ``PhiSafeFormatter``'s
    (frames and exception types, no messages). Extra fields are taken from a fixed list
    only, so nothing a caller attaches to a record reaches the log by accident.
    """

    EXTRA_FIELDS = ("status_code", "method", "path", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for field in self.EXTRA_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class AccessLogMiddleware:
    """Log method, scrubbed path, status and duration of every request, under its request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        elapsed_ms = (time.monotonic() - started) * 1000
        path = scrub_path(request.path)
        access_logger.info(
            "%s %s %s %.0fms",
            request.method,
            path,
            response.status_code,
            elapsed_ms,
            extra={
                "status_code": response.status_code,
                "method": request.method,
                "path": path,
                "duration_ms": round(elapsed_ms, 1),
            },
        )
        return response
