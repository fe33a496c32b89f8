"""Request-only decisions of novncproxy: token lookup, Origin, open
redirects, token masking in logs."""

import pytest

from novalite.console import checks

TOKEN = '5c5e9b3e-1a52-4f7e-9f0c-0f6f0b0b1e11'


@pytest.mark.parametrize('path,headers', [
    ('/?token=%s' % TOKEN, {}),
    ('/websockify?token=%s&x=1' % TOKEN, {}),
    ('/?path=%%3Ftoken%%3D%s' % TOKEN, {}),          # Nova's console URLs
    ('/?path=websockify%%3Ftoken%%3D%s' % TOKEN, {}),
    ('/', {'Cookie': 'a=b; token=%s' % TOKEN}),
    ('/?token=', {'Cookie': 'token=%s' % TOKEN}),   # empty query falls back
])
def test_find_token(path, headers):
    assert checks.find_token(path, headers) == TOKEN


def test_query_token_wins_over_cookie():
    assert checks.find_token('/?token=q', {'Cookie': 'token=c'}) == 'q'


@pytest.mark.parametrize('path,headers', [
    ('/', {}),
    ('/?token=', {}),
    ('/?path=%3Fother%3D1', {}),
    ('/', {'Cookie': 'token='}),
    ('/', {'Cookie': 'token="unterminated'}),
])
def test_no_token(path, headers):
    assert checks.find_token(path, headers) is None


@pytest.mark.parametrize('headers,tls,scheme', [
    ({}, False, 'http'),
    ({}, True, 'https'),
    ({'X-Forwarded-Proto': 'https'}, False, 'https'),
    ({'X-Forwarded-Proto': 'HTTPS, http'}, False, 'https'),
    ({'X-Forwarded-Proto': 'http'}, True, 'http'),
    ({'X-Forwarded-Proto': 'wss'}, False, 'https'),
])
def test_request_scheme(headers, tls, scheme):
    assert checks.request_scheme(headers, tls) == scheme


@pytest.mark.parametrize('origin,host,scheme,allowed,ok', [
    (None, 'proxy:6080', 'http', [], True),
    ('http://proxy:6080', 'proxy:6080', 'http', [], True),
    ('http://PROXY', 'proxy:6080', 'http', [], True),
    ('http://proxy:1234', 'proxy:6080', 'http', [], True),    # host only
    ('https://proxy:6080', 'proxy:6080', 'http', [], False),  # scheme
    ('http://proxy:6080', 'proxy:6080', 'https', [], False),
    ('http://evil.example', 'proxy:6080', 'http', [], False),
    ('http://proxy.evil.example', 'proxy', 'http', [], False),
    ('http://console.example', 'proxy', 'http', ['console.example'], True),
    ('http://console.example', 'proxy', 'http', [' Console.Example '], True),
    ('null', 'proxy', 'http', [], False),
    ('file://', 'proxy', 'http', [], False),
    ('http://[::1]:6080', '[::1]:6080', 'http', [], True),
    ('http://proxy', None, 'http', [], False),
    ('http://proxy', None, 'http', ['proxy'], True),
])
def test_origin_refusal(origin, host, scheme, allowed, ok):
    refusal = checks.origin_refusal(origin, host, scheme, allowed)
    assert (refusal is None) == ok, refusal


@pytest.mark.parametrize('target', [
    '//evil.example/', '///evil.example/', '//evil.example/%2e%2e',
    '/\\evil.example/', '/\\/evil.example', '/\t/evil.example/',
    '/\n/evil.example', 'http://evil.example/core', 'evil.example',
    '/core\\..\\x',
])
def test_offsite_paths(target):
    assert checks.is_offsite_path(target)


@pytest.mark.parametrize('target', [
    '/', '/vnc_auto.html?path=%3Ftoken%3Dabc', '/core/rfb.js',
    '/core', '/a//b', '/%2F%2Fevil.example', '/?next=//evil.example',
])
def test_onsite_paths(target):
    assert not checks.is_offsite_path(target)


def test_mask_tokens():
    text = ('"GET /?token=%s HTTP/1.1" /vnc_auto.html?path=%%3Ftoken%%3D%s '
            "Path: '/?a=1&token=%s'" % (TOKEN, TOKEN, TOKEN))
    masked = checks.mask_tokens(text)
    assert TOKEN not in masked
    assert masked.count('***') == 3
    assert '/?a=1&token=***' in masked
