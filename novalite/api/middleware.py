"""Pipeline pieces in front of the compute and metadata apps.

``RequestId`` puts ``x-openstack-request-id`` (and Nova's
``x-compute-request-id``) on every response; ``FaultWrapper`` refuses a URL
that is not UTF-8 (400) and turns anything unexpected into a JSON
``computeFault`` 500 carrying the request id and no traceback;
``SizeLimit`` refuses bodies over ``[wsgi] max_request_body_size`` with
413. :func:`last_resort` wraps a whole paste app for the WSGI server, so
that not even a failing pipeline piece reaches the client as a traceback.
"""

import urllib.parse

import webob
import webob.dec
from oslo_log import log as logging
from oslo_middleware import request_id as o_request_id

from novalite.api.openstack import faults
from novalite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class Middleware:
    """Base of a paste filter: ``factory`` returns a filter builder."""

    def __init__(self, application, **local_config):
        self.application = application
        self.local_config = local_config

    @classmethod
    def factory(cls, global_config, **local_config):
        def _filter(app):
            return cls(app, **local_config)
        return _filter


class RequestId(o_request_id.RequestId):
    """oslo.middleware's request id, plus Nova's compat header."""

    compat_headers = ['x-compute-request-id']


def request_id_factory(global_config, **local_config):
    def _filter(app):
        return RequestId(app)
    return _filter


def _raw_path(environ):
    """The request's path as received, safe to log whatever its bytes."""
    return repr(environ.get('SCRIPT_NAME', '') +
                environ.get('PATH_INFO', ''))


def _undecodable(environ):
    """True when the path or query string is not UTF-8 (WSGI hands both
    over as latin-1 text; webob decodes them as UTF-8 on first use)."""
    try:
        environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
        urllib.parse.unquote_to_bytes(
            environ.get('QUERY_STRING', '')).decode('utf-8')
    except UnicodeError:
        return True
    return False


class FaultWrapper(Middleware):
    """Last line of defence of a pipeline: an exception never leaves as a
    traceback, and a URL no layer behind could decode is refused first."""

    @webob.dec.wsgify
    def __call__(self, req):
        if _undecodable(req.environ):
            return faults.fault_response(
                400, 'The URL or query string is not valid UTF-8.')
        try:
            return req.get_response(self.application)
        except Exception as exc:
            req_id = req.environ.get(o_request_id.ENV_REQUEST_ID)
            LOG.exception('Unexpected error serving %s %s (request %s)',
                          req.method, _raw_path(req.environ), req_id)
            if faults.is_expected(exc):
                return faults.exception_response(exc)
            return faults.unexpected_response(exc, req_id)


_LAST_RESORT_BODY = faults.fault_response(
    500, 'Unexpected API Error. Please report this and attach the '
         'novalite-api log if possible.').body


def last_resort(app):
    """``app`` wrapped so that an exception raised anywhere in it (before
    a response started) becomes Nova's ``computeFault`` JSON 500."""
    def wrapper(environ, start_response):
        try:
            return app(environ, start_response)
        except Exception:
            LOG.exception('Unexpected error outside the fault wrapper '
                          'serving %s %s', environ.get('REQUEST_METHOD'),
                          _raw_path(environ))
            start_response('500 Internal Server Error',
                           [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(_LAST_RESORT_BODY)))])
            return [_LAST_RESORT_BODY]
    return wrapper


class _LimitingReader:
    """Reads at most ``limit`` bytes; raises once more would be read."""

    def __init__(self, data, limit):
        self.data = data
        self.limit = limit
        self.bytes_read = 0

    def _check(self, chunk):
        self.bytes_read += len(chunk)
        if self.bytes_read > self.limit:
            raise _TooLarge()
        return chunk

    def read(self, size=-1):
        return self._check(self.data.read(size))

    def readline(self, size=-1):
        return self._check(self.data.readline(size))

    def __iter__(self):
        for chunk in self.data:
            yield self._check(chunk)


class _TooLarge(Exception):
    pass


class SizeLimit(Middleware):
    """413 for request bodies over ``[wsgi] max_request_body_size``."""

    @webob.dec.wsgify
    def __call__(self, req):
        limit = CONF.wsgi.max_request_body_size
        too_large = faults.fault_response(413, 'Request is too large.')
        if req.content_length is not None and req.content_length > limit:
            return too_large
        if req.content_length is None and req.is_body_readable:
            reader = _LimitingReader(req.body_file, limit)
            try:
                body = reader.read()
            except _TooLarge:
                return too_large
            req.body = body
        return req.get_response(self.application)
