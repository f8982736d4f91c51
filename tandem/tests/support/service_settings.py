"""Test settings for subprocesses that use the real services: Redis cache, SMTP relay.

Drills start real processes (``db_worker``, ``manage.py shell``) against the test's
PostgreSQL database; they use this module, with ``DATABASE_URL`` naming that database,
``CACHE_URL`` a Redis database of the test's own and ``EMAIL_URL`` a relay the test runs.
"""

from tandem.settings.base import env, mailer_from_url
from tandem.settings.test import *  # noqa: F403

if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
if env.str("EMAIL_URL", default=""):
    MAILERS = {"default": mailer_from_url(env.str("EMAIL_URL"))}
