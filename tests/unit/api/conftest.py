"""The real paste pipeline (noauth2) with the object layer mocked.

``call(method, path, body=None, token='u1:p1', version=None, headers=None)``
sends a webob request through ``etc/novalite/api-paste.ini`` and returns
the response. Remotable object methods are replaced per test with
``mock.patch.object`` so nothing reaches RPC or a database.
"""

import os
from unittest import mock

import pytest
import webob
from oslo_serialization import jsonutils
from paste import deploy

from novalite import conf
from novalite import objects
from novalite.policies import enforcer

PASTE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                     'novalite', 'api-paste.ini')

objects.register_all()


@pytest.fixture(autouse=True)
def parsed_conf():
    """oslo.policy and the paste lookup need a parsed CONF (no files).

    Checked per test, not once at import: a functional test in the same
    pytest process may have reset the global CONF since collection.
    """
    if conf.CONF._args is None:
        conf.CONF([], project='novalite', default_config_files=[])


class Client:
    def __init__(self, app):
        self.app = app

    def __call__(self, method, path, body=None, token='u1:p1', version=None,
                 headers=None, raw=None, content_type='application/json'):
        req = webob.Request.blank(path, method=method)
        if token is not None:
            req.headers['X-Auth-Token'] = token
        if version is not None:
            req.headers['OpenStack-API-Version'] = 'compute %s' % version
        for key, value in (headers or {}).items():
            req.headers[key] = value
        if raw is not None or body is not None:
            req.body = raw if raw is not None else jsonutils.dump_as_bytes(
                body)
            if content_type:
                req.content_type = content_type
        resp = req.get_response(self.app)
        resp.json_body_or_none = (jsonutils.loads(resp.body)
                                  if resp.body and resp.content_type ==
                                  'application/json' else None)
        return resp


@pytest.fixture
def api():
    conf.CONF.set_override('auth_strategy', 'noauth2', group='api')
    enforcer.reset()
    app = deploy.loadapp('config:%s' % os.path.abspath(PASTE),
                         name='osapi_compute')
    from novalite.api.openstack.compute import servers
    servers._API.clear()
    with mock.patch('novalite.compute.rpcapi.ComputeAPI') as rpc, \
            mock.patch('novalite.conductor.rpcapi.ComputeTaskAPI') as task:
        client = Client(app)
        client.compute_rpcapi = rpc.return_value
        client.compute_task_api = task.return_value
        yield client
    servers._API.clear()
    conf.CONF.clear_override('auth_strategy', group='api')
