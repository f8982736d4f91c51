from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def page_or_fragment(request: HtmxHttpRequest, template: str, fragment: str) -> str:
    """Return the template to render: the whole page, or one partial for an HTMX swap."""
    if request.htmx and not request.htmx.boosted:
        return f"{template}#{fragment}"
    return template
