"""The client's address, as every limit, audit row and log that needs one must read it."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client that sent ``request``.

    Behind ``TRUSTED_PROXY_COUNT`` proxies of our own (the same-host HTTPS proxy of
    the documented deployment) REMOTE_ADDR is the proxy's, so the client is the
    entry that many places from the end of X-Forwarded-For: the one our proxy
    appended, not anything the client sent ahead of it. With no proxy configured
    (the default outside production) X-Forwarded-For is ignored, so a client
    cannot choose its own address. allauth reads the same setting
    (ALLAUTH_TRUSTED_PROXY_COUNT) for its sign-in limits; this asks allauth, so
    the two can never disagree.

    Return None when there is no usable address (no REMOTE_ADDR, or fewer
    X-Forwarded-For entries than trusted proxies: a request that did not come
    through them); allauth's limiters refuse such a request outright.
    """
    # deferred: logging's configuration imports this module before apps are ready.
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return None
