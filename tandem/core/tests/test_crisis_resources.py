"""Every page and email that lists crisis resources lists the same three, from one place.

988 (the Suicide & Crisis Lifeline), 911, and, for a Massachusetts practice's
clients, the Massachusetts Behavioral Health Help Line (833-773-2445, 24/7).
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tandem.core import crisis_lines

TANDEM_DIR = Path(settings.BASE_DIR) / "tandem"
INCLUDE = "_crisis_resources.html"
MA_LINK = (
    '<a href="tel:+18337732445">833-773-2445</a> (Massachusetts Behavioral Health Help Line, 24/7)'
)


def test_no_template_lists_crisis_lines_by_hand():
    # Given every template of the project
    by_hand = []
    for path in TANDEM_DIR.rglob("templates/**/*.html"):
        if path.name == INCLUDE:
            continue
        text = path.read_text()
        # When one names a crisis number itself instead of including the shared list
        if "tel:988" in text or "988 " in text or "988." in text or "988<" in text:
            by_hand.append(str(path.relative_to(TANDEM_DIR)))
    # Then there is none: all of them show the same lines, the Massachusetts one included
    assert by_hand == []


@pytest.mark.django_db
def test_the_page_footer_lists_988_the_massachusetts_help_line_and_911(client):
    body = client.get(reverse("account_login")).content.decode()
    assert (
        '<strong>In a crisis?</strong> Call or text <a href="tel:988">988</a> (Suicide &amp; '
        f"Crisis Lifeline), call {MA_LINK}, or call "
        '<a href="tel:911">911</a>. Tandem is not monitored for emergencies.' in body
    )


def test_the_plain_error_page_lists_the_massachusetts_help_line_too():
    assert MA_LINK in render_to_string("500.html")


def test_the_crisis_list_on_a_flagged_answer_lists_all_three_lines():
    html = render_to_string(INCLUDE, {"list": True})
    assert '<a href="tel:988"><strong>988</strong></a>' in html
    assert (
        '<a href="tel:+18337732445"><strong>833-773-2445</strong></a> — the Massachusetts '
        "Behavioral Health Help Line, any time, day or night." in html
    )
    assert '<a href="tel:911"><strong>911</strong></a>' in html


def test_emails_carry_the_same_three_lines():
    from tandem.intake.actions import ACK_BODY
    from tandem.notifications.actions import _BODY
    from tandem.scheduling.reminders import FOOTER

    line = (
        "In a crisis, call or text 988 (Suicide & Crisis Lifeline), call 833-773-2445 "
        "(Massachusetts Behavioral Health Help Line, 24/7), or call 911."
    )
    assert line == crisis_lines.TEXT
    for body in (ACK_BODY, _BODY, FOOTER):
        assert line in body
