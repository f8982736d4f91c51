"""Local development and the demo: safe defaults, never for a real deployment."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-deploy-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
DEMO_MODE = env.bool("TANDEM_DEMO_MODE", default=True)
TANDEM_ADMIN_ENABLED = env.bool("TANDEM_ADMIN_ENABLED", default=True)
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="dev-only-audit-key")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
# Outgoing mail is written to var/mail so the demo can read verification links.
if not env.str("EMAIL_URL", default=""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(BASE_DIR / "var" / "mail")},  # noqa: F405
        }
    }
