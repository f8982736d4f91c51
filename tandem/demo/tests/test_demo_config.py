"""The demo's configuration: links on the address served, a code that stays usable, Tandem's name.

Each settings module is loaded in a fresh interpreter (as ``scripts/demo`` and a
production deployment load them), so what is checked is what they really do.
"""

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tandem.accounts.tests.test_signup import therapist_form
from tandem.core.tests.test_settings import production_env, run_manage


def dev_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tandem.settings.dev",
        **extra,
    }


# Whether allauth's own TOTP check accepts the fixed code for an account whose secret is random.
ACCEPTS = (
    "from allauth.mfa.totp.internal.auth import validate_totp_code, generate_totp_secret;"
    "from django.conf import settings as s;"
    "print(s.TANDEM_BASE_URL, s.MFA_TOTP_INSECURE_BYPASS_CODE,"
    " validate_totp_code(generate_totp_secret(), '246810'))"
)


def test_demo_links_use_the_address_served_and_accept_the_fixed_demo_code(tmp_path):
    env = dev_env(tmp_path, TANDEM_DEMO_MODE="1", TANDEM_ADDR="127.0.0.1:8102")

    result = run_manage(env, "shell", "--no-imports", "-c", ACCEPTS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:8102", "246810", "True"]


def test_without_demo_mode_the_fixed_code_is_refused(tmp_path):
    env = dev_env(tmp_path, TANDEM_DEMO_MODE="0")

    result = run_manage(env, "shell", "--no-imports", "-c", ACCEPTS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:8000", "None", "False"]


def test_production_refuses_the_demo_and_accepts_no_fixed_code(tmp_path):
    refused = run_manage(production_env(tmp_path, TANDEM_DEMO_MODE="1"), "check")
    assert refused.returncode != 0
    assert "demo" in refused.stderr

    result = run_manage(production_env(tmp_path), "shell", "--no-imports", "-c", ACCEPTS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://tandem.example.org", "None", "False"]


@pytest.mark.django_db
def test_account_emails_say_tandem_not_the_host(client, settings):
    settings.TANDEM_BASE_URL = "http://127.0.0.1:8102"

    client.post(reverse("account_signup"), therapist_form(), HTTP_HOST="127.0.0.1")

    body = mail.outbox[0].body
    assert body.startswith("Hello from Tandem!")
    assert "Thank you for using Tandem!" in body
    assert "Hello from 127.0.0.1" not in body
    assert re.search(r"on 127\.0\.0\.1:8102\.", body)
