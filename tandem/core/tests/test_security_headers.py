"""Every page goes out with the security headers, and templates keep CSP without inline code."""

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import include, path, reverse
from django_permissions_policy import PermissionsPolicyMiddleware

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, make_staff
from tandem.tests.support.http import Client


def _refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("client 5551234 belongs to another practice")


def _explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [
    path("test-headers/refuse/", _refuse),
    path("test-headers/explode/", _explode),
    path("", include("tandem.urls")),
]

TANDEM_DIR = Path(settings.BASE_DIR) / "tandem"
CRISIS_LINE = 'Call or text <a href="tel:988">988</a>'


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response: HttpResponse) -> None:
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["core:home", "account_login", "account_signup", "account_reset_password"]
)
def test_public_pages_carry_every_security_header(url_name):
    response = Client().get(reverse(url_name))

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_signed_in_dashboard_carries_every_security_header():
    therapist = make_staff(Role.THERAPIST)
    browser = Client()
    browser.force_login(therapist)

    response = browser.get(reverse("core:dashboard"))

    assert response.status_code == 200
    assert_security_headers(response)


def test_permissions_policy_setting_is_valid_for_the_middleware():
    value = PermissionsPolicyMiddleware.compute_header_value(
        settings.PERMISSIONS_POLICY, name="PERMISSIONS_POLICY"
    )

    assert value.split(", ") == [f"{feature}=()" for feature in sorted(settings.PERMISSIONS_POLICY)]


# --- No inline code in any template -----------------------------------------------


_EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module"}


class _InlineCodeFinder(HTMLParser):
    """Collect the CSP-breaking constructs in one template: inline script/style and handlers."""

    def __init__(self, *, allow_style_element: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.allow_style_element = allow_style_element
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        names = {name.lower() for name, _ in attrs}
        script_type = (dict(attrs).get("type") or "").strip().lower()
        # A JSON data block (type="application/json") is never executed, so CSP allows it.
        if tag == "script" and "src" not in names and script_type in _EXECUTABLE_SCRIPT_TYPES:
            self.problems.append(f"line {line}: <script> without src")
        if tag == "style" and not self.allow_style_element:
            self.problems.append(f"line {line}: <style> element")
        for name in names:
            if name == "style":
                self.problems.append(f"line {line}: style= attribute")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"line {line}: {name} attribute")
            elif re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"line {line}: {name}= event handler")
        for name, value in attrs:
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"line {line}: javascript: URL")


def inline_code_in(template: Path) -> list[str]:
    # PDF templates (named *pdf*) are rendered by WeasyPrint, never served to a browser,
    # so they may carry a <style> element; everything else still applies to them.
    finder = _InlineCodeFinder(allow_style_element="pdf" in template.name)
    # Template tags may sit inside a start tag; blank them so the parser sees the attributes.
    text = re.sub(r"{%.*?%}|{#.*?#}", " ", template.read_text(), flags=re.S)
    finder.feed(text)
    finder.close()
    return finder.problems


def all_templates() -> list[Path]:
    return sorted(
        p for p in TANDEM_DIR.rglob("*.html") if "templates" in p.relative_to(TANDEM_DIR).parts
    )


def test_no_template_contains_inline_script_style_or_event_handlers():
    templates = all_templates()
    assert len(templates) > 10

    problems = {
        str(t.relative_to(TANDEM_DIR)): found for t in templates if (found := inline_code_in(t))
    }

    assert problems == {}


def test_inline_code_finder_catches_each_forbidden_construct(tmp_path):
    template = tmp_path / "bad.html"
    template.write_text(
        '<p style="color: red">x</p>\n'
        "<script>alert(1)</script>\n"
        '<script src="/static/ok.js"></script>\n'
        '<button hx-on:click="go()">go</button>\n'
        '<a onclick="go()" href="javascript:go()">go</a>\n'
        '<div {% if x %}style="display:none"{% endif %}></div>\n'
        "<style>p { color: red }</style>\n"
        '<script type="application/json">{"ids": []}</script>\n'
        '<script type="module">go()</script>\n'
    )

    pdf_template = tmp_path / "letter_pdf.html"
    pdf_template.write_text(template.read_text())

    assert inline_code_in(template) == [
        "line 1: style= attribute",
        "line 2: <script> without src",
        "line 4: hx-on:click attribute",
        "line 5: onclick= event handler",
        "line 5: javascript: URL",
        "line 6: style= attribute",
        "line 7: <style> element",
        "line 9: <script> without src",
    ]
    assert inline_code_in(pdf_template) == [
        "line 1: style= attribute",
        "line 2: <script> without src",
        "line 4: hx-on:click attribute",
        "line 5: onclick= event handler",
        "line 5: javascript: URL",
        "line 6: style= attribute",
        "line 9: <script> without src",
    ]


# --- Error pages ------------------------------------------------------------------


@pytest.mark.django_db
def test_404_for_a_client_id_does_not_echo_the_id():
    prescriber = make_staff(Role.PRESCRIBER)
    browser = Client()
    browser.force_login(prescriber)
    someone_elses = ClientFactory()
    missing = uuid.uuid4()

    for public_id in (someone_elses.public_id, missing):
        response = browser.get(reverse("clients:detail", args=[public_id]))

        assert response.status_code == 404
        body = response.content.decode()
        assert str(public_id) not in body
        assert str(public_id).replace("-", "") not in body
        assert "We could not find that page" in body
        assert CRISIS_LINE in body
        assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.urls("tandem.core.tests.test_security_headers")
def test_403_does_not_show_why_access_was_refused():
    response = Client().get("/test-headers/refuse/?client=5551234")

    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot do that here" in body
    assert "5551234" not in body
    assert "another practice" not in body


@pytest.mark.django_db
@pytest.mark.urls("tandem.core.tests.test_security_headers")
def test_500_is_plain_and_carries_the_security_headers():
    response = Client(raise_request_exception=False).get("/test-headers/explode/?q=Jane")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "boom" not in body
    assert "Jane" not in body
    assert CRISIS_LINE in body
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("500.html", "Something went wrong on our side"),
        ("400.html", "Tandem could not understand that request"),
        ("403_csrf.html", "This form has expired"),
    ],
)
def test_plain_error_pages_render_without_a_request_or_context_processors(template, heading):
    html = render_to_string(template)

    assert f"<h1>{heading}</h1>" in html
    assert CRISIS_LINE in html
    assert '<main id="main"' in html


@pytest.mark.django_db
def test_bad_request_renders_the_plain_400_page():
    response = Client().get("/", headers={"host": "evil.example.com"})

    assert response.status_code == 400
    assert "Tandem could not understand that request" in response.content.decode()
    assert "evil.example.com" not in response.content.decode()
