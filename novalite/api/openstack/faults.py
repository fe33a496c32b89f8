"""The one place exceptions become Nova's fault bodies.

``{"itemNotFound": {"code": 404, "message": "..."}}``: the key names the
status the way Nova does (badRequest, unauthorized, forbidden, itemNotFound,
badMethod, conflictingRequest, overLimit, badMediaType, notImplemented,
serviceUnavailable, and computeFault for everything else).

A service behind the API that did not answer (a MessagingTimeout, a broker
that could not be reached) is a 503 ``serviceUnavailable`` with
``Retry-After``, never a 500.
"""

import webob
import webob.exc
from oslo_log import log as logging
from oslo_serialization import jsonutils

from novalite import conf
from novalite import exception
from novalite import rpc

CONF = conf.CONF
LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}


def fault_body(code, message):
    """``{name: {"code": code, "message": message}}`` for ``code``."""
    return {FAULT_NAMES.get(code, 'computeFault'):
            {'code': code, 'message': message}}


def fault_response(code, message, headers=None, retry_after=None):
    """A JSON fault response."""
    body = fault_body(code, message)
    resp = webob.Response(status=code, content_type='application/json',
                          charset='utf-8')
    if retry_after is not None and code in (413, 429, 503):
        # As Nova: the body repeats it for the over-limit faults only.
        if code != 503:
            body[FAULT_NAMES[code]]['retryAfter'] = str(retry_after)
        resp.headers['Retry-After'] = str(retry_after)
    resp.body = jsonutils.dump_as_bytes(body)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def is_expected(exc):
    """True for errors with a deliberate HTTP status (and for a service
    that did not answer: 503)."""
    if isinstance(exc, rpc.UNREACHABLE):
        return True
    if isinstance(exc, exception.NovaliteException):
        return 400 <= int(getattr(exc, 'code', 500) or 500) < 500 or \
            exc.code in (501, 503, 406)
    return isinstance(exc, webob.exc.HTTPException)


def exception_response(exc):
    """The fault response for an expected exception."""
    if isinstance(exc, webob.exc.HTTPException):
        code = exc.code
        message = getattr(exc, 'explanation', None) or exc.title
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() in ('allow', 'retry-after', 'location')}
        return fault_response(code, message, headers=headers)
    if isinstance(exc, rpc.UNREACHABLE):
        exc = _unavailable(exc)
    code = int(exc.code)
    if code >= 500 and code not in (501, 503):
        LOG.error('Unexpected error %s: %s', type(exc).__name__, exc)
    headers = dict(getattr(exc, 'headers', None) or {})
    retry_after = getattr(exc, 'retry_after', None)
    if code == 503 and retry_after is None:
        retry_after = CONF.api.unavailable_retry_after
    return fault_response(code, exc.format_message(), headers=headers,
                          retry_after=retry_after)


def _unavailable(exc):
    """The 503 for an RPC call that got no answer, logged in one line."""
    target = getattr(exc, 'target', None)
    LOG.warning('%s unreachable: %s: %s',
                'topic %s' % target.topic if target is not None
                else 'A service behind the API', type(exc).__name__, exc)
    return exception.ServiceUnavailable(
        reason='a service it depends on did not answer in time. Please '
               'try again later.',
        retry_after=CONF.api.unavailable_retry_after)


def unexpected_response(exc, request_id=None):
    """computeFault 500 for anything unexpected: no traceback, the request
    id so an operator can find the log."""
    message = ('Unexpected API Error. Please report this and attach the '
               'novalite-api log if possible.')
    if request_id:
        message += ' Request ID: %s' % request_id
    return fault_response(500, message)
