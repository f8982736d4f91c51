"""The list pages' shortcuts give exactly what Django's own reverse and timesince give."""

import datetime as dt
import uuid

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince

from tandem.core.links import per_id
from tandem.core.templatetags.tandem_ui import since


@pytest.mark.parametrize(
    "name",
    [
        "referrals:detail",
        "referrals:edit",
        "care:alert",
        "scheduling:appointment",
        "measures:response",
    ],
)
def test_a_link_per_id_is_the_url_reverse_gives(name):
    link = per_id(name)
    for public_id in (uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())):
        assert link(public_id) == reverse(name, args=[public_id])


DELTAS = [
    dt.timedelta(0),
    dt.timedelta(seconds=59),
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=61),
    dt.timedelta(hours=23, minutes=59),
    dt.timedelta(days=1),
    dt.timedelta(days=6, hours=5),
    dt.timedelta(days=7),
    dt.timedelta(days=30),
    dt.timedelta(days=45, hours=3),
    dt.timedelta(days=365),
    dt.timedelta(days=800),
    -dt.timedelta(hours=2),
]


@pytest.mark.parametrize("delta", DELTAS)
def test_since_says_what_timesince_says(delta):
    moment = timezone.now().replace(microsecond=0) - delta
    now = timezone.now()
    with translation.override("en"):
        assert since(moment) == timesince(moment, now) or since(moment) == timesince(moment)
    assert Template("{% load tandem_ui %}{{ d|since }}").render(Context({"d": moment})) == (
        Template("{{ d|timesince }}").render(Context({"d": moment}))
    )
    assert since(None) == ""
