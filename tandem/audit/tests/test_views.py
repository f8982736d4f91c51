"""The audit search page: who sees what, filters, errors, HTMX fragments, pages, query counts."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from tandem.audit.actions import record
from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.reports.views import PAGE_SIZE, when
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    enrol_totp,
    make_staff,
)
from tandem.organisations.models import Membership

pytestmark = pytest.mark.django_db

URL = "/audit/"


@pytest.fixture
def two_practices():
    """Return (practice A, its admin, its prescriber, practice B, its admin)."""
    a, b = OrganisationFactory(name="Practice A"), OrganisationFactory(name="Practice B")
    admin_a = make_staff(Role.PRACTICE_ADMIN, a, email="admin.a@example.test")
    prescriber_a = make_staff(Role.PRESCRIBER, a, email="rx.a@example.test")
    admin_b = make_staff(Role.PRACTICE_ADMIN, b, email="admin.b@example.test")
    return a, admin_a, prescriber_a, b, admin_b


def _rows(response) -> list[str]:
    """Return the row numbers (trail-wide ids) of the events shown, top to bottom."""
    return re.findall(r"<tr>\s*<td>(\d+)</td>", response.content.decode())


def test_a_practice_admin_sees_their_practices_events_only_not_its_peoples_sign_ins(
    client, two_practices
):
    # Given events of practice A, of practice B, and sign-ins of A's and B's people
    # (after each of them enrolled a second factor, also on the trail)
    a, admin_a, prescriber_a, b, admin_b = two_practices
    client.force_login(admin_a)  # itself a sign-in of A's admin
    ours = record(actor=prescriber_a, action=AuditAction.UPDATE, object_type="x", organisation=a)
    record(actor=admin_b, action=AuditAction.UPDATE, object_type="x", organisation=b)
    record(actor=prescriber_a, action=AuditAction.LOGIN, obj=prescriber_a)
    record(actor=admin_b, action=AuditAction.LOGIN, obj=admin_b)
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        object_id=str(prescriber_a.public_id),
    )

    # When A's admin opens the audit page
    response = client.get(URL)

    # Then they see exactly what happened in A, with who did it: account events name no
    # practice and may come from anywhere (issue 10), so they stay with the person
    assert response.status_code == 200
    assert _rows(response) == [str(ours.pk)]
    body = response.content.decode()
    assert "rx.a@example.test" in body
    assert "admin.b@example.test" not in body


def test_a_client_read_through_the_practices_care_team_shows_on_its_audit_page(
    client, two_practices
):
    _, admin_a, prescriber_a, _, admin_b = two_practices
    someone = ClientFactory()
    add_to_care_team(someone, prescriber_a, Role.PRESCRIBER)
    reader = client.__class__()
    reader.force_login(prescriber_a)
    reader.get(reverse("clients:detail", args=[someone.public_id]))

    client.force_login(admin_a)
    body_a = client.get(URL, {"action": "view"}).content.decode()
    client.force_login(admin_b)
    body_b = client.get(URL, {"action": "view"}).content.decode()

    assert "rx.a@example.test" in body_a
    assert "Viewed" in body_a
    assert "No events match." in body_b


@pytest.mark.parametrize(
    "role", [Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR, Role.CLIENT, "operator staff"]
)
def test_everyone_but_practice_admins_and_operators_gets_404(client, role):
    if role == Role.CLIENT:
        user = UserFactory()
        ClientFactory(user=user)
    elif role == "operator staff":
        user = UserFactory(is_staff=True)  # Django staff, but not a superuser
        enrol_totp(user)
    else:
        user = make_staff(role)
    client.force_login(user)

    assert client.get(URL).status_code == 404


def test_a_visitor_is_sent_to_sign_in_and_an_admin_without_mfa_to_enrolment(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    client.force_login(make_staff(Role.PRACTICE_ADMIN, mfa=False))
    assert client.get(URL)["Location"] == "/accounts/2fa/totp/activate/?required=1"


def test_an_operator_sees_every_practice(client, two_practices):
    a, admin_a, _, b, admin_b = two_practices
    operator = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(operator)
    client.force_login(operator)
    events = [
        record(actor=admin_a, action=AuditAction.UPDATE, organisation=a),
        record(actor=admin_b, action=AuditAction.UPDATE, organisation=b),
    ]

    assert _rows(client.get(URL))[:2] == [str(e.pk) for e in reversed(events)]
    assert len(_rows(client.get(URL))) == AuditEvent.objects.count()


def test_filters_narrow_by_action_person_object_and_client(client, two_practices):
    a, admin_a, prescriber_a, _, _ = two_practices
    client.force_login(admin_a)
    someone = ClientFactory()
    grant = record(actor=admin_a, action=AuditAction.PERMISSION_GRANTED, organisation=a)
    read = record(
        actor=prescriber_a, action=AuditAction.VIEW, obj=someone, client=someone, organisation=a
    )
    record(actor=prescriber_a, action=AuditAction.UPDATE, object_id="other", organisation=a)

    assert _rows(client.get(URL, {"action": "permission_granted"})) == [str(grant.pk)]
    assert _rows(
        client.get(URL, {"actor_email": "ADMIN.A@example.test", "action": "permission_granted"})
    ) == [str(grant.pk)]
    assert _rows(client.get(URL, {"object_id": str(someone.public_id)})) == [str(read.pk)]
    assert _rows(client.get(URL, {"client_id": str(someone.public_id)})) == [str(read.pk)]
    assert _rows(client.get(URL, {"actor_email": "nobody@example.test"})) == []


def test_the_date_range_includes_both_ends(client, two_practices):
    a, admin_a, _, _, _ = two_practices
    events = {}
    for day in (1, 2, 3, 4):
        with time_machine.travel(dt.datetime(2026, 3, day, 15, 0, tzinfo=dt.UTC), tick=False):
            events[day] = record(actor=admin_a, action=AuditAction.UPDATE, organisation=a)
    client.force_login(admin_a)

    response = client.get(URL, {"since": "2026-03-02", "until": "2026-03-03"})

    assert _rows(response) == [str(events[3].pk), str(events[2].pk)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-03-05", "until": "2026-03-01"}, "To: “To” must be on or after “From”."),
        ({"since": "yesterday"}, "From: Enter a valid date."),
        ({"client_id": "12"}, "Client id: Enter a valid UUID."),
        ({"actor_email": "not-an-email"}, "Who (email): Enter a valid email address."),
    ],
)
def test_a_bad_filter_names_the_field_and_runs_no_search(client, two_practices, query, message):
    a, admin_a, _, _, _ = two_practices
    record(actor=admin_a, action=AuditAction.UPDATE, organisation=a)
    client.force_login(admin_a)

    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(URL, query, headers=headers)

        body = response.content.decode()
        assert response.status_code == 200  # so HTMX swaps the message in
        assert f"<li>{message}</li>" in body.replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert _rows(response) == []


def test_an_htmx_request_gets_only_the_results_fragment(client, two_practices):
    a, admin_a, _, _, _ = two_practices
    client.force_login(admin_a)
    event = record(actor=admin_a, action=AuditAction.UPDATE, organisation=a)

    full = client.get(URL).content.decode()
    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()

    assert "<h1>Audit trail</h1>" in full
    assert fragment.strip().startswith('<div id="results"')
    assert fragment.strip().endswith("</div>")
    assert "<h1>" not in fragment
    assert "<form" not in fragment
    assert _rows(client.get(URL, {"action": "update"}, headers={"HX-Request": "true"})) == [
        str(event.pk)
    ]


def _link(response, label: str) -> str:
    """Return the href of the page link called ``label`` ("Newer", "Older")."""
    found = re.search(rf'<a href="([^"]*)"[^>]*>{label}</a>', response.content.decode())
    assert found, f"no {label} link"
    return found.group(1).replace("&amp;", "&")


def test_results_come_in_pages_that_keep_the_filters(client, two_practices):
    # Given 105 matching events (and other events between them that do not match)
    a, admin_a, _, _, _ = two_practices
    events = []
    for _ in range(PAGE_SIZE * 2 + 5):
        events.append(record(actor=admin_a, action=AuditAction.UPDATE, organisation=a))
        record(actor=admin_a, action=AuditAction.VIEW, organisation=a)
    client.force_login(admin_a)
    newest_first = [str(e.pk) for e in reversed(events)]

    # When the admin walks older page by page, then back newer
    first = client.get(URL, {"action": "update"})
    second = client.get(URL + _link(first, "Older"))
    last = client.get(URL + _link(second, "Older"))
    back = client.get(URL + _link(last, "Newer"))

    # Then each page shows the next events newest first, keeping the filter, and
    # the pages are keyed by the events shown (no page numbers, no count of all events)
    assert _rows(first) == newest_first[:PAGE_SIZE]
    assert _link(first, "Older") == f"?action=update&before={events[-PAGE_SIZE].pk}"
    assert "Newer</a>" not in first.content.decode()
    assert _rows(second) == newest_first[PAGE_SIZE : 2 * PAGE_SIZE]
    assert _rows(last) == newest_first[2 * PAGE_SIZE :]
    assert "Older</a>" not in last.content.decode()
    assert _rows(back) == _rows(second)
    assert _rows(client.get(URL + _link(back, "Newer"))) == _rows(first)
    assert " of " not in first.content.decode().split('id="results"')[1]


@pytest.mark.parametrize("count", [10, 200])
def test_the_audit_page_runs_the_same_number_of_queries_however_many_events(
    client, two_practices, count, django_assert_num_queries
):
    # Given many events by many different people
    a, admin_a, _, _, _ = two_practices
    people = [make_staff(Role.COORDINATOR, a, mfa=False) for _ in range(10)]
    for i in range(count):
        record(actor=people[i % 10], action=AuditAction.UPDATE, organisation=a)
    client.force_login(admin_a)

    # Then: session, user (with their second factor and client record, in one query:
    # tandem.accounts.backends; was three queries), memberships, the page (one more row
    # than it shows, to know whether there are older ones; no count of all events), the
    # page's actors in one go (no session write: at most once a minute)
    with django_assert_num_queries(5):
        response = client.get(URL)
    # (the admin's sign-in and the enrolments name no practice, so are not shown)
    assert len(_rows(response)) == min(count, PAGE_SIZE)


def test_dates_and_times_are_the_practices_own_days_and_hours(client):
    # Given a practice in Los Angeles and an event at 23:30 there on 2 March
    # (already 3 March in the server's zone, New York, and in UTC)
    la = OrganisationFactory(name="Pacific Practice", time_zone="America/Los_Angeles")
    admin = make_staff(Role.PRACTICE_ADMIN, la)
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(late, tick=False):
        event = record(actor=admin, action=AuditAction.UPDATE, object_type="x", organisation=la)
    client.force_login(admin)

    # When the admin searches 2 March, then 3 March
    on_the_2nd = client.get(URL, {"since": "2026-03-02", "until": "2026-03-02", "action": "update"})
    on_the_3rd = client.get(URL, {"since": "2026-03-03", "until": "2026-03-03", "action": "update"})

    # Then the event is on the 2nd, shown at 23:30 Pacific time with the zone's abbreviation
    assert _rows(on_the_2nd) == [str(event.pk)]
    assert _rows(on_the_3rd) == []
    body = on_the_2nd.content.decode()
    assert '<time datetime="2026-03-02T23:30:00-08:00">2026-03-02 23:30:00 PST</time>' in body
    # and the form says in which zone its dates are days
    assert "Days in America/Los_Angeles (P" in body
    assert "your practice&#x27;s time zone." in body


def test_an_admin_of_several_practices_searches_in_the_first_ones_zone_and_is_told(client):
    # Given an admin of a Los Angeles practice first, then of a New York one
    la = OrganisationFactory(name="Pacific <b>Practice</b>", time_zone="America/Los_Angeles")
    ny = OrganisationFactory(name="Atlantic Practice", time_zone="America/New_York")
    admin = make_staff(Role.PRACTICE_ADMIN, la)
    Membership.objects.create(user=admin, organisation=ny, role=Role.PRACTICE_ADMIN)
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(late, tick=False):
        event = record(actor=admin, action=AuditAction.UPDATE, object_type="x", organisation=ny)
    client.force_login(admin)

    # When they search 2 March
    response = client.get(URL, {"since": "2026-03-02", "until": "2026-03-02", "action": "update"})

    # Then the days are Los Angeles days, and the help text says why
    assert _rows(response) == [str(event.pk)]
    assert (
        "the time zone of Pacific &lt;b&gt;Practice&lt;/b&gt;, the first of the practices you "
        "administer." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("zone", "moment"),
    [
        # an ordinary afternoon, with microseconds
        ("America/Los_Angeles", dt.datetime(2026, 6, 9, 21, 5, 7, 123456, tzinfo=dt.UTC)),
        # the hour the clocks go back, twice (ambiguous: Django's "T" shows no abbreviation)
        ("America/Los_Angeles", dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)),
        ("America/Los_Angeles", dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)),
        # just after the clocks go forward, and a zone east of UTC on the next local day
        ("America/New_York", dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC)),
        ("Asia/Kolkata", dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.UTC)),
        # a half-hour clock change, twice over (01:45 comes twice), and UTC itself
        ("Australia/Lord_Howe", dt.datetime(2026, 4, 4, 14, 45, tzinfo=dt.UTC)),
        ("Australia/Lord_Howe", dt.datetime(2026, 4, 4, 15, 15, tzinfo=dt.UTC)),
        ("UTC", dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)),
    ],
)
def test_a_rows_time_reads_as_the_date_filter_wrote_it_in_the_readers_zone(zone, moment):
    # Given an event's time and a reader's zone
    # When the row's time is built, and the table's former template wrote it
    written = Template(
        "{% load tz %}{% timezone zone %}{{ at|date:'c' }}|{{ at|date:'Y-m-d H:i:s T' }}"
        "{% endtimezone %}"
    ).render(Context({"zone": ZoneInfo(zone), "at": moment}))

    # Then both say the same
    assert "|".join(when(moment, ZoneInfo(zone))) == written


@pytest.mark.parametrize("language", ["en-us", "fr"])
def test_object_ids_are_cut_as_truncator_cuts_them(language):
    from django.utils import translation
    from django.utils.text import Truncator

    from tandem.audit.reports.views import shortener

    # Given ids of every length and script (UUIDs, numbers, combining accents, wide text)
    texts = [
        "", "1", "12345678901234", "123456789012345", "3f0c2a9e-8b1d-4c6e-9f00-0123456789ab",
        "<b>&amp;</b>abcdefghij", "café-crème-brûlée", "cafe\u0301" * 5, "ｆｕｌｌｗｉｄｔｈの長い識別子です",
        "ends with an ellipsis…………",
    ]  # fmt: skip
    with translation.override(language):
        for length in (1, 2, 14):
            short = shortener(length)
            # When each is cut, Then it reads as Django's Truncator cuts it
            assert [short(t) for t in texts] == [Truncator(t).chars(length) for t in texts]


#: The table's row loop as ``search.html`` wrote it before the rows were formatted in
#: Python (``views._table_rows``): the reference their HTML must equal.
TEMPLATE_ROWS = """\
    {% for row in rows %}
      <tr>
        <td>{{ row.pk }}</td>
        <td><time datetime="{{ row.iso }}">{{ row.shown }}</time></td>
        <td>{% if row.email is not None %}{{ row.email }}{% else %}<span class="muted">—</span>{% endif %}</td>
        <td>{{ row.role }}</td>
        <td>{{ row.action }}</td>
        <td>{{ row.object_type }}{% if row.object_id %} <code>{{ row.object_id }}</code>{% endif %}</td>
        <td><code>{{ row.request_id }}</code></td>
        <td>{{ row.ip }}</td>
      </tr>
    {% empty %}
      <tr><td colspan="8" class="muted">No events match.</td></tr>
    {% endfor %}
"""


@pytest.mark.parametrize(
    "row",
    [
        {},  # a sign-in by nobody known, nothing named
        {
            "email": "rx.a@example.test",
            "role": "prescriber",
            "action": "Viewed",
            "object_type": "client",
            "object_id": "3f0c2a9e-8b1…",
            "request_id": "9a8b7c6d5e4f",
            "ip": "203.0.113.9",
        },
        {"email": "o'brien&<sons>@example.test", "object_type": '<b>"x"</b>', "object_id": "<i>"},
    ],
)
def test_the_audit_rows_are_the_html_the_template_wrote(row):
    from django.template import engines

    from tandem.audit.reports.views import _table_rows

    # Given rows as the view builds them (text HTML escapes, empty cells, no person)
    blank = {
        "pk": 1234567, "iso": "2026-12-05T09:30:00-05:00", "shown": "2026-12-05 09:30:00 EST",
        "email": None, "role": "—", "action": "Signed in", "object_type": "", "object_id": "",
        "request_id": "—", "ip": "—",
    }  # fmt: skip
    rows = [{**blank, **row}, blank]

    # When they are formatted, and the template's old loop renders the same rows
    html = _table_rows(rows)
    reference = engines["django"].from_string(TEMPLATE_ROWS).render({"rows": rows})

    # Then the page carries the same HTML, byte for byte
    page = engines["django"].from_string(
        "    {% if table_rows %}{{ table_rows }}{% else %}\n"
        '      <tr><td colspan="8" class="muted">No events match.</td></tr>\n'
        "    {% endif %}\n"
    )
    assert page.render({"table_rows": html}) == reference
    if "email" in row and "&" in row["email"]:  # and text is escaped
        assert "o&#x27;brien&amp;&lt;sons&gt;@example.test" in html
        assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt; <code>&lt;i&gt;</code>" in html
    # and no rows at all read as they did
    empty = engines["django"].from_string(TEMPLATE_ROWS).render({"rows": []})
    assert page.render({"table_rows": _table_rows([])}) == empty


def _search_section(response) -> str:
    """Return the page from its heading to the end of the results (no per-response token)."""
    body = response.content.decode()
    return body[body.index("<h1>Audit trail</h1>") : body.index("</main>")]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "query",
    [
        {},  # an unbound form
        {  # every field wrong, with text to escape
            "action": "<nope>",
            "actor_email": "o'brien&<sons>",
            "object_id": '"x" & <b>' * 8,
            "client_id": "<i>not a uuid</i>",
            "since": "2026-02-30",
            "until": "yesterday",
        },
        {"since": "2026-03-05", "until": "2026-03-01"},  # the form's own error
        {  # a search that runs and finds an event
            "action": "update",
            "actor_email": "admin.la@example.test",
            "object_id": "x",
            "since": "2026-03-01",
            "until": "2026-03-05",
        },
    ],
    ids=["unbound", "wrong", "backwards", "valid"],
)
@pytest.mark.parametrize("language", ["en-us", "fr"])
def test_the_search_page_is_the_html_djangos_form_templates_wrote(
    client, monkeypatch, zone, query, language
):
    from django.forms.renderers import get_default_renderer
    from django.utils import translation

    from tandem.audit.reports.forms import AuditSearchForm

    # Given an admin of two practices (the help text names the first, anyone's text),
    # events on the page, in a zone east or west of UTC
    first = OrganisationFactory(name='<b>Pacific</b> & O\'Neil "Care"', time_zone=zone)
    admin = make_staff(Role.PRACTICE_ADMIN, first, email="admin.la@example.test")
    Membership.objects.create(
        user=admin, organisation=OrganisationFactory(), role=Role.PRACTICE_ADMIN
    )
    at = dt.datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo(zone))
    with time_machine.travel(at, tick=False):
        for object_id in ("x", "3f0c2a9e-8b1d-4c6e-9f00-0123456789ab"):
            record(actor=admin, action=AuditAction.UPDATE, object_type="x", object_id=object_id,
                   organisation=first)  # fmt: skip
    client.force_login(admin)

    # When the page is read as written now, and with Django's form templates
    with translation.override(language), time_machine.travel(at, tick=False):
        written = _search_section(client.get(URL, query))
        monkeypatch.setattr(AuditSearchForm, "default_renderer", get_default_renderer())
        templated = _search_section(client.get(URL, query))

    # Then the two are the same, byte for byte
    assert written == templated
    assert "&lt;b&gt;Pacific&lt;/b&gt; &amp; O&#x27;Neil &quot;Care&quot;" in written
    if query.get("actor_email") == "o'brien&<sons>":
        assert 'value="o&#x27;brien&amp;&lt;sons&gt;"' in written
        assert ("Saisissez" if language == "fr" else "Enter a valid email") in written
    if query.get("object_id") == "x":
        assert len(re.findall(r"<tr>\s*<td>\d+</td>", written)) == 1
