"""Every table that may scroll sideways on a phone can be reached and scrolled by keyboard.

axe-core ("scrollable-region-focusable") flags such a region only on the pages and
at the sizes a browser test happens to open with enough rows to overflow; this
check covers every template, whatever its data.
"""

import re

from tandem.core.tests.test_security_headers import TANDEM_DIR, all_templates

SCROLLER = re.compile(r'<div[^>]*class="[^"]*\btable-scroll\b[^"]*"[^>]*>')


def regions_without_keyboard_access(text: str) -> list[str]:
    """Return the scrolling wrappers in ``text`` that lack tabindex, role or a label."""
    return [
        tag
        for tag in SCROLLER.findall(text)
        if 'tabindex="0"' not in tag
        or 'role="region"' not in tag
        or not re.search(r"aria-label(ledby)?=\"[^\"]+\"", tag)
    ]


def test_every_scrolling_table_is_focusable_with_a_name():
    problems = {
        str(t.relative_to(TANDEM_DIR)): found
        for t in all_templates()
        if (found := regions_without_keyboard_access(t.read_text()))
    }

    assert problems == {}


def test_the_check_finds_a_bare_or_unnamed_scroller():
    assert regions_without_keyboard_access('<div class="table-scroll"><table>') == [
        '<div class="table-scroll">'
    ]
    unnamed = '<div class="table-scroll" tabindex="0" role="region">'
    assert regions_without_keyboard_access(unnamed) == [unnamed]
    named = '<div class="table-scroll" tabindex="0" role="region" aria-label="Clients">'
    assert regions_without_keyboard_access(named) == []
