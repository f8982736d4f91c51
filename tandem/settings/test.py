"""Settings for the test suite: SQLite by default, PostgreSQL when DATABASE_URL says so."""

from .base import *  # noqa: F403
from .base import PREPARE_WHEN_ASKED, env

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DEMO_MODE = False
# Mounted, so the URL-walking access test and the second-factor tests cover its pages.
TANDEM_ADMIN_ENABLED = True
AUDIT_HMAC_KEY = "test-audit-key"
DATABASES = {"default": env.db_url("DATABASE_URL", default="sqlite:///:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
else:  # as base.py: the statements tandem.core.compiled asks for are prepared
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = PREPARE_WHEN_ASKED
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The real ORM queue: tests enqueue as production does and run the worker
# (tandem.tests.support.tasks.run_worker) to process what is due.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "fhir_exports": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
# Serve static files from the apps' folders (no collectstatic before tests), like DEBUG does.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
