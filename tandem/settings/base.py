"""Settings shared by every environment.

Everything that differs between machines comes from the environment
(12-factor); see docs/configuration.md for the full list.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Django's admin (/django-admin/) is mounted only when this is on: off unless set, so a
# production deployment serves it only by choice. Its login form is never served; it
# sends people to Tandem's sign-in (password, then second factor).
TANDEM_ADMIN_ENABLED = env.bool("TANDEM_ADMIN_ENABLED", default=False)

# The demo configuration prints one-time codes for the synthetic demo accounts.
# It is refused in production settings (see prod.py).
DEMO_MODE = env.bool("TANDEM_DEMO_MODE", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "django_tasks_db",
    "oauth2_provider",
    "tandem.core",
    "tandem.audit",
    "tandem.accounts",
    "tandem.organisations",
    "tandem.clients",
    "tandem.notifications",
    "tandem.consent",
    "tandem.audit.reports",
    "tandem.referrals",
    "tandem.measures",
    "tandem.scheduling",
    "tandem.intake",
    "tandem.care",
    "tandem.directory",
    "tandem.fhir",
    "tandem.workspace",
    "tandem.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tandem.core.middleware.RequestIdMiddleware",
    "tandem.core.logging.AccessLogMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tandem.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "tandem.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tandem.core.middleware.PracticeTimeZoneMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "tandem.accounts.middleware.MFARequiredMiddleware",
    "tandem.accounts.middleware.AtomicAccountChangesMiddleware",
    "tandem.core.middleware.ForbiddenAsNotFoundMiddleware",
]

# The load benchmark (bench/load.py): a bare hello-world page and per-response query
# counts and server times (tandem.core.bench). Off unless TANDEM_BENCH=1, in production too.
TANDEM_BENCH = env.bool("TANDEM_BENCH", default=False)
if TANDEM_BENCH:
    MIDDLEWARE.insert(0, "tandem.core.bench.BenchMiddleware")

ROOT_URLCONF = "tandem.urls"
WSGI_APPLICATION = "tandem.wsgi.application"
ASGI_APPLICATION = "tandem.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tandem" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.workspace.context_processors.tandem",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'tandem.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the task worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# Persistent connections: each worker thread keeps its connection for CONN_MAX_AGE
# seconds instead of opening one per request (0: close after every request, as the
# test runner requires; prod.py defaults to 60). The health check tests a reused
# connection before the request's first query, so a restarted database costs one
# error-free reconnect, not a failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_pooler = env.str("DATABASE_POOLER", default="")
#: psycopg's ``prepare_threshold`` (runs of a statement before it is prepared unasked).
PREPARE_WHEN_ASKED = 2**31
if _pooler not in {"", "session", "transaction"}:
    raise ImproperlyConfigured("DATABASE_POOLER must be empty, 'session' or 'transaction'.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator())
    # cannot outlive the transaction the pooler gave it: set DATABASE_POOLER=transaction
    # there. See docs/configuration.md ("Database connections").
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = _pooler == "transaction"
    # psycopg prepares a statement only where Tandem's code asks (tandem.core.compiled:
    # the signed-in user's and their memberships' queries, which every page runs):
    # Django's cursors bind parameters in the client and never prepare, and a statement
    # run unasked would be prepared at its 2**31st run. Not behind a transaction pooler,
    # whose next transaction may be on a server connection that never saw the statement.
    if _pooler != "transaction":
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = PREPARE_WHEN_ASKED

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://tandem")}

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts -------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's, loading the signed-in user's second factor and client record
# with the user (tandem/accounts/backends.py); sessions naming the backends they replace
# are read through these (tandem.accounts.middleware.AuthenticationMiddleware).
AUTHENTICATION_BACKENDS = [
    "tandem.accounts.backends.ModelBackend",
    "tandem.accounts.backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name", "preferred_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_ADAPTER = "tandem.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "tandem.organisations.forms.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Tandem] "
# Throttle brute force: allauth counts failed logins per IP and per account.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}

# The client's address: how many proxies of our own sit in front of Tandem. Behind the
# documented same-host HTTPS proxy it is 1 (prod's default) and the client is the last
# X-Forwarded-For entry, the one the proxy appended; with 0 the header is ignored.
# allauth's sign-in limits and tandem.core.http.client_ip (audit rows, Tandem's own
# limits) both read it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Tandem's own limits, counted by allauth's rate limiter (tandem.core.ratelimit) in the
# cache, per client address: "amount/period/ip" (period: s, m, h, d), comma-separated.
TANDEM_RATE_LIMITS = {
    # Contact form of a practice's public page: messages one address may send.
    "contact_form": "5/h/ip",
    # Stateless scoring API (/api/v1/): requests one address may make.
    "measures_api": "60/m/ip",
    # Public appointment bot: new bot sessions one address may start.
    "intake_start": "10/h/ip",
    # Its verification emails: per intake ("key") and per address.
    "intake_link": "3/h/key,10/h/ip",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Tandem"
MFA_ADAPTER = "tandem.accounts.adapter.MFAAdapter"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Sessions end after 15 minutes without activity (the warning comes at 13).
SESSION_IDLE_SECONDS = 15 * 60
SESSION_WARNING_SECONDS = 2 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# Not a write per request: IdleSessionMiddleware restarts the idle clock (saves the
# session) at most once a minute, so a session ends 14 to 15 idle minutes after its
# last request, never later.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_IDLE_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the body's hx-headers, not the cookie.

# --- Security headers -------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# --- Email -------------------------------------------------------------------


def mailer_from_url(url: str) -> dict[str, object]:
    """Turn EMAIL_URL into a MAILERS entry.

    smtp+tls://user:pass@host:587 (STARTTLS), smtp+ssl:// or smtps://...:465
    (implicit TLS), smtp://host:25 (no TLS), consolemail://, filemail://...
    Percent-encode ``@`` and ``:`` in the user name and password.
    """
    config = environ.Env.email_url_config(url)
    options = {
        "host": config.get("EMAIL_HOST"),
        "port": config.get("EMAIL_PORT"),
        "username": config.get("EMAIL_HOST_USER"),
        "password": config.get("EMAIL_HOST_PASSWORD"),
        "use_tls": config.get("EMAIL_USE_TLS"),
        "use_ssl": config.get("EMAIL_USE_SSL"),
        "timeout": config.get("EMAIL_TIMEOUT") or 10,
    }
    if url.startswith("smtps://"):
        # django-environ maps smtps:// to STARTTLS; smtps conventionally means implicit TLS.
        options["use_tls"], options["use_ssl"] = None, True
    backend = config["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        options = {}
    return {
        "BACKEND": backend,
        "OPTIONS": {k: v for k, v in options.items() if v not in (None, "")},
    }


# Email goes through Django's mailers: SMTP in production (EMAIL_URL=smtp+tls://...).
MAILERS = {"default": mailer_from_url(env.str("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tandem <no-reply@tandem.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# FHIR bulk export files: private (outside MEDIA_ROOT, served only through the API's token).
FHIR_EXPORT_ROOT = env.str("FHIR_EXPORT_ROOT", default=str(BASE_DIR / "var" / "fhir-exports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "fhir_exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": FHIR_EXPORT_ROOT},
    },
}

# Absolute address of this deployment, for links in emails (which carry no PHI, only a link).
TANDEM_BASE_URL = env.str("TANDEM_BASE_URL", default="http://127.0.0.1:8000")

# Signed paper releases and other uploads: PDF only, capped.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# Payment information at booking: "offline" (pay at first visit / invoice) or "stripe".
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="offline")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
if PAYMENT_PROVIDER == "stripe":
    # PCI DSS: Stripe.js must be loaded from Stripe itself; its card field lives in Stripe's frames.
    SECURE_CSP["script-src"] = [*SECURE_CSP["script-src"], "https://js.stripe.com"]
    SECURE_CSP["frame-src"] = ["https://js.stripe.com", "https://hooks.stripe.com"]
    SECURE_CSP["connect-src"] = [*SECURE_CSP["connect-src"], "https://api.stripe.com"]
# Reminder texts: "" (off, the default) or "console" (development: logged, never sent).
SMS_PROVIDER = env.str("SMS_PROVIDER", default="")

# --- Audit -------------------------------------------------------------------

# Key for the audit trail's HMAC chain. Rotating it needs a re-seal; see docs/audit.md.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")

# --- Logging: never PHI. Only ids, request ids and status codes are logged. ---
# Paths are scrubbed (no query strings, no tokens or emails) and exception
# messages are withheld from tracebacks; see tandem/core/logging.py.

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "tandem.core.logging.RequestIdFilter"},
        "scrub_paths": {"()": "tandem.core.logging.ScrubPathFilter"},
    },
    "formatters": {
        "plain": {
            "class": "tandem.core.logging.PhiSafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "scrub_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replace Django's own handlers: its mail_admins handler would email the
        # request with its POST data, and its debug console bypasses the filters.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # 4xx warnings would log paths by the thousand; tandem.access already has
        # one scrubbed line per request. 5xx errors still log, with the traceback.
        "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
        # WeasyPrint narrates every PDF step at INFO; only its problems matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The FHIR API's OAuth server (django-oauth-toolkit, see docs/fhir.md). System clients use
# client credentials; a client is granted no more than the scopes its practice gave it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "tandem.fhir.scopes.SystemClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # The OAuth 2.0 Security BCP (RFC 9700) in full: no implicit or password grant, no
    # "plain" PKCE, no tokens in query strings, `iss` in authorization responses, and only
    # the tokens' hashes stored (a copy of the database holds no usable token).
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}
#: How many resources a FHIR search page holds unless _count says otherwise, and at most.
FHIR_PAGE_SIZE = 20
FHIR_MAX_PAGE_SIZE = 100
# Bulk $export: rows read, mapped and audited per chunk; hours its files are kept.
FHIR_EXPORT_CHUNK = env.int("FHIR_EXPORT_CHUNK", default=1000)
FHIR_EXPORT_TTL_HOURS = env.int("FHIR_EXPORT_TTL_HOURS", default=24)
