"""What novncproxy decides from a request alone, before any RPC.

Pure functions over the request line and headers: where the console token
is, whether the ``Origin`` may open a console, and whether a path could turn
into a redirect to another site. Kept apart from the proxy so each rule is
tested on its own.
"""

import http.cookies
import re
import urllib.parse

# token=<value> in a query, plain or URL-encoded once (path=%3Ftoken%3D...).
_TOKEN_IN_TEXT = re.compile(r'(token(?:=|%3D))[^&\s\'"]+', re.IGNORECASE)

# Browsers drop these from URLs, so '/\t/evil.example' is '//evil.example'.
_URL_IGNORED_CHARS = '\t\r\n'


def _first(query, name):
    values = query.get(name)
    return values[0].strip() if values and values[0].strip() else None


def find_token(path, headers):
    """The console token of a request, or None.

    Looked for, in order: ``?token=``; the ``path`` query, which carries a
    URL-encoded ``?token=...`` (the form of Nova's console URLs); a
    ``token`` cookie.
    """
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    token = _first(query, 'token')
    if token:
        return token
    inner = _first(query, 'path')
    if inner:
        inner_query = urllib.parse.urlsplit(inner).query or inner.lstrip('?')
        token = _first(urllib.parse.parse_qs(inner_query), 'token')
        if token:
            return token
    cookie_header = headers.get('Cookie')
    if cookie_header:
        cookies = http.cookies.SimpleCookie()
        try:
            cookies.load(cookie_header)
        except http.cookies.CookieError:
            return None
        if 'token' in cookies and cookies['token'].value.strip():
            return cookies['token'].value.strip()
    return None


def request_scheme(headers, is_tls):
    """``http`` or ``https``: how the browser reached us.

    A TLS-terminating proxy in front says so with ``X-Forwarded-Proto``,
    which wins over how the connection reached this process.
    """
    forwarded = headers.get('X-Forwarded-Proto')
    if forwarded:
        scheme = forwarded.split(',')[0].strip().lower()
        return {'ws': 'http', 'wss': 'https'}.get(scheme, scheme)
    return 'https' if is_tls else 'http'


def _host_name(host_header):
    if not host_header:
        return None
    return urllib.parse.urlsplit('//' + host_header.strip()).hostname


def origin_refusal(origin, host_header, scheme, allowed_origins):
    """Why ``origin`` may not open a console here, or None when it may.

    A request without ``Origin`` comes from a non-browser client and is
    let through (the token still guards it). A browser's ``Origin`` must
    name this proxy's host (from ``Host``) or one of ``allowed_origins``,
    with the scheme the browser used to reach us.
    """
    if origin is None:
        return None
    parsed = urllib.parse.urlsplit(origin.strip())
    if not parsed.scheme or not parsed.hostname:
        return 'origin %r is not a URL' % origin
    accepted = {name.strip().lower() for name in allowed_origins
                if name.strip()}
    own = _host_name(host_header)
    if own:
        accepted.add(own.lower())
    if parsed.hostname.lower() not in accepted:
        return 'origin host %s is not this proxy nor an allowed origin' % (
            parsed.hostname)
    if parsed.scheme.lower() != scheme:
        return 'origin scheme %s does not match the request scheme %s' % (
            parsed.scheme, scheme)
    return None


def is_offsite_path(path):
    """True for a request target a redirect could turn into another site.

    ``//evil.example/x`` (a network-path reference), ``/\\evil.example``
    (browsers read ``\\`` as ``/``), the same with tabs or newlines in
    between, and absolute-form targets (``http://evil.example/``).
    """
    target = path.split('?', 1)[0]
    for char in _URL_IGNORED_CHARS:
        target = target.replace(char, '')
    return (not target.startswith('/') or target.startswith('//') or
            '\\' in target)


def mask_tokens(text):
    """``text`` with every ``token=`` value replaced by ``***``, for logs."""
    return _TOKEN_IN_TEXT.sub(r'\1***', text)
