"""Logging helpers. Log lines carry request ids and object ids, never clinical values."""

import logging

from tandem.core.middleware import current_request_id


class RequestIdFilter(logging.Filter):
    """Attach the current request id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
