"""Version documents: ``GET /`` (every major version), ``GET /v2.1/`` and
the bare ``GET /v2.1`` / ``GET /v2`` that clients probe without a token."""

import webob.dec

from novalite.api.openstack import api_version
from novalite.api.openstack import faults
from novalite.api.openstack import wsgi

_V21 = {'id': 'v2.1', 'status': 'CURRENT',
        'version': api_version.MAX_VERSION,
        'min_version': api_version.MIN_VERSION,
        'updated': '2013-07-23T11:33:21Z'}
_V20 = {'id': 'v2.0', 'status': 'SUPPORTED', 'version': '',
        'min_version': '', 'updated': '2011-01-21T11:33:21Z'}
_PATHS = {'v2.1': 'v2.1', 'v2.0': 'v2'}


def _host(req):
    from novalite import conf
    prefix = conf.CONF.api.compute_link_prefix
    return prefix.rstrip('/') if prefix else req.host_url


def _version(req, doc, described=False):
    body = dict(doc)
    body['links'] = [{'rel': 'self', 'href': '%s/%s/' % (
        _host(req), _PATHS[doc['id']])}]
    if described:
        body['links'].append({'rel': 'describedby', 'type': 'text/html',
                              'href': 'http://docs.openstack.org/'})
        body['media-types'] = [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.compute+json;version=%s'
                    % doc['id'][1:]}]
    return body


def show_version(req):
    """``GET /v2.1/`` (and ``/v2/``): the version this endpoint serves."""
    doc = _V20 if req.is_legacy_v2 else _V21
    return wsgi.response({'version': _version(req, doc, described=True)})


class Versions:
    """The app at ``/``: every major version; with ``version = v2.1`` (or
    ``v2.0``) in its paste section, the app at that bare path, which
    answers that version's document."""

    def __init__(self, version=None):
        self.version = {'v2.1': _V21, 'v2.0': _V20}.get(version)

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls(local_config.get('version'))

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        if req.path_info not in ('', '/'):
            return faults.fault_response(
                404, 'The resource could not be found.')
        if req.method not in ('GET', 'HEAD'):
            return faults.fault_response(
                405, 'The method specified is not allowed for this '
                     'resource.', headers={'Allow': 'GET, HEAD'})
        if self.version is not None:
            return wsgi.response({'version': _version(
                req, self.version, described=True)})
        return wsgi.response({'versions': [_version(req, _V20),
                                           _version(req, _V21)]})
