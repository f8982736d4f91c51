"""Status badges: the tone follows the meaning, so "Declined" no longer looks like "Sent"."""

from django.template import Context, Template

from tandem.core.templatetags.tandem_ui import STATUS_TONES, TONES


def render(source: str, **context: object) -> str:
    return Template("{% load tandem_ui %}" + source).render(Context(context))


def test_declined_sent_and_accepted_referrals_get_three_different_tones_with_their_words():
    declined = render('{% badge "declined" "Declined" %}')
    sent = render('{% badge "sent" "Sent" %}')
    accepted = render('{% badge "accepted" "Accepted" %}')

    assert declined == '<span class="badge badge-danger" data-status="declined">Declined</span>'
    assert sent == '<span class="badge badge-info" data-status="sent">Sent</span>'
    assert accepted == '<span class="badge badge-ok" data-status="accepted">Accepted</span>'


def test_an_unknown_status_is_neutral_and_a_label_is_escaped():
    assert render("{% badge s label %}", s="mystery", label="<b>?</b>") == (
        '<span class="badge badge-neutral" data-status="mystery">&lt;b&gt;?&lt;/b&gt;</span>'
    )


def test_every_tone_in_the_table_has_a_mark_and_a_meaning():
    assert set(STATUS_TONES.values()) <= set(TONES)
    assert all(mark and meaning for mark, meaning in TONES.values())


def test_a_badge_drawn_again_is_the_same_and_text_marked_safe_is_not_taken_for_plain_text():
    first = render("{% badge s label %}", s="sent", label="Sent")
    assert render("{% badge s label %}", s="sent", label="Sent") == first
    # the same words, once plain (escaped) and once a template literal (trusted)
    assert render("{% badge s label %}", s="sent", label="A & B").endswith("A &amp; B</span>")
    assert render('{% badge "sent" "A &amp; B" %}').endswith("A &amp; B</span>")
    assert render("{% badge s label %}", s="sent", label="A &amp; B").endswith(
        "A &amp;amp; B</span>"
    )
