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
# Links in emails lead to the address actually served: scripts/demo serves on TANDEM_ADDR.
TANDEM_BASE_URL = env.str(
    "TANDEM_BASE_URL", default="http://" + env.str("TANDEM_ADDR", default="127.0.0.1:8000")
).rstrip("/")
# The demo accepts one fixed, published one-time code for every account, so a code read
# from the start-up banner never goes stale. allauth refuses it unless DEBUG is on, and
# production settings refuse TANDEM_DEMO_MODE (and clear the code), so it never leaves the demo.
DEMO_TOTP_CODE = "246810"
MFA_TOTP_INSECURE_BYPASS_CODE = DEMO_TOTP_CODE if DEMO_MODE and DEBUG else None
# Outgoing mail is written to var/mail so the demo can read verification links.
if not env.str("EMAIL_URL", default=""):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(BASE_DIR / "var" / "mail")},  # noqa: F405
        }
    }
