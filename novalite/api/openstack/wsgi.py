"""The compute API application: request type, routing and microversions.

Routes are declared in one dict (``novalite.api.openstack.compute.routes``)
mapping a URL template to ``{HTTP method: handler}``. :class:`APIRouter`
feeds it to a ``routes.Mapper``; a path asked with a method it does not
declare answers 405 with an ``Allow`` header generated from the dict.
Handlers are plain functions ``handler(req, **url_variables)`` returning a
``webob.Response`` (see :func:`response`) and raising novalite exceptions
for errors; :mod:`novalite.api.openstack.faults` turns those into Nova's
fault bodies.
"""

import math

import routes
import webob
import webob.dec
from oslo_log import log as logging
from oslo_serialization import jsonutils

from novalite.api.openstack import api_version
from novalite.api.openstack import faults
from novalite import exception

LOG = logging.getLogger(__name__)

VERSION_HEADER = 'OpenStack-API-Version'
LEGACY_VERSION_HEADER = 'X-OpenStack-Nova-API-Version'
SERVICE_TYPE = 'compute'
JSON_TYPES = ('application/json', 'application/vnd.openstack.compute+json')
ENV_LEGACY_V2 = 'novalite.legacy_v2'


class Request(webob.Request):
    """A webob request that knows its context and microversion."""

    @property
    def context(self):
        return self.environ['novalite.context']

    @property
    def is_legacy_v2(self):
        return bool(self.environ.get(ENV_LEGACY_V2))

    @property
    def api_version_request(self):
        version = self.environ.get('novalite.api_version')
        return version if version is not None else \
            api_version.min_version()

    def ver(self, min_version=None, max_version=None):
        """True when the request's microversion is within the bounds."""
        return self.api_version_request.matches(min_version, max_version)

    @property
    def json(self):
        """The request body as JSON, parsed once.

        :raises: MalformedRequestBody (400), InvalidContentType (415)
        """
        if 'novalite.json_body' not in self.environ:
            self.environ['novalite.json_body'] = _parse_body(self)
        return self.environ['novalite.json_body']

    def link_base(self, versioned=True):
        """Base URL for links: ``compute_link_prefix`` or the request host,
        with the version root (``/v2.1``) when ``versioned``."""
        path = self.script_name if versioned else ''
        project = self.environ.get('novalite.url_project_id')
        if project:
            path += '/' + project
        # Asked once per server of a list: the host part is worked out
        # once per request.
        host = self.environ.get('novalite.link_host')
        if host is None:
            from novalite import conf
            prefix = conf.CONF.api.compute_link_prefix
            host = self.environ['novalite.link_host'] = (
                prefix.rstrip('/') if prefix else self.host_url)
        return host + path


class MalformedRequestBody(exception.Invalid):
    msg_fmt = 'Malformed request body: %(reason)s'


class InvalidContentType(exception.Invalid):
    code = 415
    msg_fmt = 'Unsupported Content-Type'


def _refuse_constant(name):
    # NaN, Infinity and -Infinity are not JSON; Python's parser takes them
    # and no database column can store them.
    raise ValueError('%s is not a JSON number' % name)


def _finite_float(text):
    value = float(text)
    if math.isinf(value):  # 1e999: finite text, no finite float
        raise ValueError('%s is out of range' % text[:32])
    return value


def _parse_body(req):
    body = req.body
    if not body:
        raise MalformedRequestBody(reason='No request body')
    content_type = (req.content_type or '').lower()
    if content_type and content_type not in JSON_TYPES:
        raise InvalidContentType()
    try:
        value = jsonutils.loads(body, parse_constant=_refuse_constant,
                                parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedRequestBody(reason='Unable to parse JSON body')
    if not isinstance(value, dict):
        raise MalformedRequestBody(reason='Body must be a JSON object')
    return value


def response(body=None, status=200, headers=None):
    """A JSON response (or an empty one when ``body`` is None)."""
    resp = webob.Response(status=status, charset='utf-8')
    if body is not None:
        resp.content_type = 'application/json'
        resp.body = jsonutils.dump_as_bytes(body)
    else:
        resp.content_type = None
        resp.body = b''
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def api_version_range(min_version=None, max_version=None):
    """Limit a handler to a microversion range; outside it answers 404,
    as Nova does for a method its version does not have."""
    def decorator(func):
        func.min_version = min_version
        func.max_version = max_version
        return func
    return decorator


def _method_not_allowed(allowed):
    def handler(req, **kwargs):
        return faults.fault_response(
            405, 'The method specified is not allowed for this resource.',
            headers={'Allow': ', '.join(sorted(allowed))})
    return handler


def _not_found(req, **kwargs):
    return faults.fault_response(404, 'The resource could not be found.')


class APIRouter:
    """WSGI app: microversion negotiation, then dispatch by the route dict.

    :param declarations: ``{path: {method: handler}}``; paths may use
        ``{name}`` variables, passed to the handler as keyword arguments.
        Every route also answers under an optional ``/{project_id}``
        prefix, as Nova's do.
    """

    def __init__(self, declarations, legacy_v2=False):
        self.legacy_v2 = legacy_v2
        self.mapper = routes.Mapper()
        prefixed = []
        for path, methods in declarations.items():
            self._connect(path, methods)
            if path != '/':
                prefixed.append(('/{url_project_id}' + path, methods))
        for path, methods in prefixed:
            self._connect(path, methods)

    def _connect(self, path, methods):
        for method, handler in methods.items():
            self.mapper.connect(path, handler=handler,
                                conditions={'method': [method]})
        self.mapper.connect(path, handler=_method_not_allowed(methods))

    @classmethod
    def factory(cls, global_config, **local_config):
        from novalite.api.openstack.compute import routes as compute_routes
        legacy = local_config.get('legacy_v2', 'false').lower() == 'true'
        return cls(compute_routes.ROUTES, legacy_v2=legacy)

    @webob.dec.wsgify(RequestClass=Request)
    def __call__(self, req):
        if self.legacy_v2:
            req.environ[ENV_LEGACY_V2] = True
            req.environ['novalite.api_version'] = \
                api_version.APIVersionRequest(api_version.LEGACY_VERSION)
        else:
            try:
                req.environ['novalite.api_version'] = _negotiate(req)
            except exception.NovaliteException as exc:
                return faults.exception_response(exc)
        resp = self._dispatch(req)
        if not self.legacy_v2:
            _add_version_headers(req, resp)
        return resp

    def _dispatch(self, req):
        # The fault wrapper in front has already refused a path or query
        # string that is not UTF-8.
        path = req.path_info or '/'
        match = self.mapper.match(path, req.environ)
        if match is None:
            return _not_found(req)
        match = dict(match)
        handler = match.pop('handler')
        project = match.pop('url_project_id', None)
        if project is not None:
            ctxt = req.environ.get('novalite.context')
            if ctxt is not None and ctxt.project_id != project:
                return faults.fault_response(
                    400, "Malformed request URL: URL's project_id '%s' "
                         "doesn't match Context's project_id '%s'"
                         % (project, ctxt.project_id))
            req.environ['novalite.url_project_id'] = project
        if not req.ver(getattr(handler, 'min_version', None),
                       getattr(handler, 'max_version', None)):
            return _not_found(req)
        try:
            return handler(req, **match)
        except Exception as exc:
            if faults.is_expected(exc):
                return faults.exception_response(exc)
            raise


def _negotiate(req):
    value = None
    header = req.headers.get(VERSION_HEADER)
    if header:
        # "compute 2.5" (possibly among other services, comma separated).
        for item in header.split(','):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == SERVICE_TYPE:
                value = parts[1]
    if value is None:
        value = req.headers.get(LEGACY_VERSION_HEADER)
    if not value:
        return api_version.min_version()
    return api_version.from_header(value)


def _add_version_headers(req, resp):
    version = req.environ.get('novalite.api_version')
    if version is None:
        return
    resp.headers[VERSION_HEADER] = '%s %s' % (SERVICE_TYPE,
                                              version.get_string())
    resp.headers[LEGACY_VERSION_HEADER] = version.get_string()
    vary = [v.strip() for v in resp.headers.get('Vary', '').split(',')
            if v.strip()]
    for name in (VERSION_HEADER, LEGACY_VERSION_HEADER):
        if name not in vary:
            vary.append(name)
    resp.headers['Vary'] = ', '.join(vary)

