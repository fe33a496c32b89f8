"""Pipeline pieces in front of the compute and metadata apps.

``RequestId`` puts ``x-openstack-request-id`` (and Nova's
``x-compute-request-id``) on every response; ``FaultWrapper`` turns
anything unexpected into a JSON ``computeFault`` 500 carrying the request id
and no traceback; ``SizeLimit`` refuses bodies over
``[wsgi] max_request_body_size`` with 413.
"""

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


class FaultWrapper(Middleware):
    """Last line of defence: an exception never leaves as a traceback."""

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            return req.get_response(self.application)
        except Exception as exc:
            req_id = req.environ.get(o_request_id.ENV_REQUEST_ID)
            LOG.exception('Unexpected error serving %s %s (request %s)',
                          req.method, req.path, req_id)
            if faults.is_expected(exc):
                return faults.exception_response(exc)
            return faults.unexpected_response(exc, req_id)


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
