"""Production: every secret from the environment, every header hardened.

``manage.py check --deploy`` passes with no warnings under these settings.
"""

from typing import cast

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, mailer_from_url

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production."
    )
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set (32+ characters) in production.")
if env.bool("TANDEM_DEMO_MODE", default=False):
    raise ImproperlyConfigured("The demo configuration cannot run with production settings.")
DEMO_MODE = False
# The demo's fixed one-time code is never accepted here (allauth also refuses it without DEBUG).
MFA_TOTP_INSECURE_BYPASS_CODE = None
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts Tandem serves.")

# The append-only trigger on the audit table and the row locks that serialise
# consent changes exist only on PostgreSQL; SQLite is for the demo and tests.
if not env.str("DATABASE_URL", default="") or "postgresql" not in DATABASES["default"]["ENGINE"]:  # noqa: F405
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL in production, e.g. postgres://tandem@db:5432/tandem."
    )

# Keep each worker's database connection for a minute (health-checked before reuse)
# instead of connecting on every request; CONN_MAX_AGE=0 turns it off.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405

# Links in emails must reach this deployment over HTTPS, not the development default.
TANDEM_BASE_URL = env.str("TANDEM_BASE_URL", default="").rstrip("/")
if not TANDEM_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "TANDEM_BASE_URL must be this deployment's https:// address, e.g. https://tandem.example.org."
    )

# Console or file mail would silently drop verification and reset emails; plain
# SMTP is accepted only to a relay on this machine (the hop never leaves it).
_email_url = env.str("EMAIL_URL", default="")
if not _email_url:
    raise ImproperlyConfigured(
        "EMAIL_URL must be set in production, e.g. smtp+tls://user:password@smtp.example.org:587."
    )
_mailer = mailer_from_url(_email_url)
_mail_options = cast(dict[str, object], _mailer["OPTIONS"])
if _mailer["BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    raise ImproperlyConfigured(
        "EMAIL_URL must be an SMTP URL in production (smtp+tls://, smtp+ssl:// or smtp:// to localhost)."
    )
if not (_mail_options.get("use_tls") or _mail_options.get("use_ssl")) and _mail_options.get(
    "host"
) not in {"localhost", "127.0.0.1", "::1"}:
    raise ImproperlyConfigured(
        "EMAIL_URL must use TLS (smtp+tls:// or smtp+ssl://) unless the relay runs on localhost."
    )
MAILERS = {"default": _mailer}

# One-time codes are marked used, and every rate limit is counted, in the cache: with
# a cache per gunicorn worker one code was accepted three times and each limit was
# multiplied by the number of workers. Only a Redis shared by all of them is accepted.
_cache_url = env.str("CACHE_URL", default="")
if not _cache_url.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "CACHE_URL must point at a Redis shared by every web process in production, "
        "e.g. redis://127.0.0.1:6379/0 (a per-process or database cache cannot hold "
        "one-time codes and rate limits across workers)."
    )
CACHES = {"default": env.cache_url("CACHE_URL")}
# Sessions: written to the database and read through the Redis cache (cached_db). The
# database copy survives a Redis restart or eviction (nobody is signed out), and the
# allauth session list already lives in the database; the cache spares the read.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Logs: one JSON object per line (LOG_FORMAT=plain for the human-readable line), with
# the request id a field, for a collector that gathers every machine's processes.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
_logging = cast(dict[str, dict[str, dict[str, object]]], LOGGING)  # noqa: F405
_logging["formatters"]["json"] = {"()": "tandem.core.logging.JsonFormatter"}
_logging["handlers"]["console"]["formatter"] = LOG_FORMAT

# The documented deployment has one HTTPS proxy on this host in front of gunicorn:
# the client's address is the last X-Forwarded-For entry, the one the proxy appended.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front of Tandem."
    )
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe over plain HTTP; the probe carries no data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "fhir_exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": FHIR_EXPORT_ROOT},  # noqa: F405 (base's)
    },
}
