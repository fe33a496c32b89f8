"""ConsoleAuthAPI: topic, version, call or cast, arguments."""

import pytest

from novalite import context
from novalite.consoleauth import rpcapi
from tests.unit import rpc_clients


@pytest.fixture
def api():
    return rpc_clients.build(rpcapi.ConsoleAuthAPI, 'consoleauth')[0]


def test_authorize_console_is_a_call(api):
    ctxt = context.get_admin_context()
    api.authorize_console(ctxt, 'tok', 'novnc', 'h', 5900, None, 'uuid',
                          access_url='http://p/vnc_auto.html?path=x')
    cctxt = api.client.prepare.return_value
    cctxt.call.assert_called_once_with(
        ctxt, 'authorize_console', token='tok', console_type='novnc',
        host='h', port=5900, internal_access_path=None,
        instance_uuid='uuid', access_url='http://p/vnc_auto.html?path=x')
    assert not cctxt.cast.called


@pytest.mark.parametrize('method', ['check_token', 'check_session'])
def test_checks_are_calls_with_a_timeout(api, method):
    ctxt = context.get_admin_context()
    answer = getattr(api, method)(ctxt, 'tok', timeout=7)
    api.client.prepare.assert_called_once_with(timeout=7)
    cctxt = api.client.prepare.return_value
    cctxt.call.assert_called_once_with(ctxt, method, token='tok')
    assert answer is cctxt.call.return_value


def test_delete_tokens_for_instance_is_a_cast(api):
    ctxt = context.get_admin_context()
    assert api.delete_tokens_for_instance(ctxt, 'uuid') is None
    cctxt = api.client.prepare.return_value
    cctxt.cast.assert_called_once_with(ctxt, 'delete_tokens_for_instance',
                                       instance_uuid='uuid')
    assert not cctxt.call.called
