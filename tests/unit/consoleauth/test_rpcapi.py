"""ConsoleAuthAPI: topic, version, call or cast, arguments."""

from unittest import mock

import pytest

from novalite import context
from novalite.objects import base as objects_base
from novalite import rpc
from novalite.consoleauth import rpcapi


@pytest.fixture
def api():
    with mock.patch.object(rpc, 'get_client') as get_client:
        client = rpcapi.ConsoleAuthAPI()
    (target,), kwargs = get_client.call_args
    assert (target.topic, target.version) == ('consoleauth', '1.0')
    assert isinstance(kwargs['serializer'],
                      objects_base.NovaliteObjectSerializer)
    return client


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
