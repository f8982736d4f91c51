"""Gunicorn, the bundled production server: ``.venv/bin/gunicorn tandem.wsgi``.

Gunicorn reads this file from the working directory. Every value can be set from
the environment; the defaults suit one small practice on one machine behind an
HTTPS proxy on the same host.
"""

import os

bind = os.environ.get("TANDEM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("TANDEM_THREADS", "2"))
timeout = int(os.environ.get("TANDEM_TIMEOUT", "30"))
graceful_timeout = 30
# Restart a worker now and then, so a slow leak never grows into an outage.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy on this host may say the request came over HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# REMOTE_ADDR stays the proxy's; Tandem reads the client's address from the entry the
# proxy appends to X-Forwarded-For (TRUSTED_PROXY_COUNT, tandem.core.http.client_ip).
# Tandem writes its own access line per request (tandem.core.logging: the path with
# tokens and email-like parts redacted, never a query string, with the request id),
# so gunicorn's own access log, which would print reset-link tokens in paths, stays off.
accesslog = None
errorlog = "-"
