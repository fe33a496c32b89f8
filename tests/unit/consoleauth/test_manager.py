"""ConsoleAuthManager: TTL, port validation through compute, revocation,
session re-checks, the purge task."""

import time
import uuid
from unittest import mock

import oslo_messaging as messaging
import pytest

from novalite import conf
from novalite import context
from novalite import exception
from novalite import objects
from novalite.consoleauth import manager as ca_manager

objects.register_all()
CONF = conf.CONF
INSTANCE = '2a8e4f0c-6d1b-4c3a-9f7e-0b1c2d3e4f50'


@pytest.fixture
def flags():
    overrides = []

    def set_(group, **kwargs):
        for name, value in kwargs.items():
            CONF.set_override(name, value, group=group)
            overrides.append((name, group))
    yield set_
    for name, group in overrides:
        CONF.clear_override(name, group=group)


@pytest.fixture
def mgr(remote):
    manager = ca_manager.ConsoleAuthManager(host='ca1')
    manager._compute_rpcapi = mock.Mock()
    manager._compute_rpcapi.validate_console_port.return_value = True
    return manager


def _authorize(mgr, token=None, port=5901, instance=INSTANCE):
    token = token or str(uuid.uuid4())
    mgr.authorize_console(context.get_admin_context(), token, 'novnc',
                          '192.0.2.10', port, None, instance,
                          access_url='http://p:6080/vnc_auto.html'
                                     '?path=%3Ftoken%3D' + token)
    return token


def _instance(host='cn1'):
    return objects.Instance(uuid=INSTANCE, host=host)


def test_check_token_returns_connect_info_after_compute_agrees(mgr):
    token = _authorize(mgr)
    ctxt = context.get_admin_context()
    with mock.patch.object(objects.Instance, 'get_by_uuid',
                           return_value=_instance()) as get:
        info = mgr.check_token(ctxt, token)
    assert get.call_args.args[1] == INSTANCE
    call = mgr.compute_rpcapi.validate_console_port.call_args
    assert call.args[1].host == 'cn1'
    assert call.args[2:] == (5901, 'novnc')
    assert call.kwargs == {'timeout': ca_manager.VALIDATE_TIMEOUT}
    assert info['host'] == '192.0.2.10' and info['port'] == 5901
    assert info['instance_uuid'] == INSTANCE
    assert info['access_url_base'] == 'http://p:6080/vnc_auto.html'
    assert info['expires'] > time.time()
    assert set(info) == set(ca_manager.CONNECT_INFO_KEYS)


@pytest.mark.parametrize('why', ['port moved', 'no instance', 'no host',
                                 'compute silent', 'compute error'])
def test_check_token_refused_when_compute_does_not_confirm(mgr, why):
    token = _authorize(mgr)
    validate = mgr.compute_rpcapi.validate_console_port
    instance = _instance()
    get = mock.Mock(return_value=instance)
    if why == 'port moved':
        validate.return_value = False
    elif why == 'no instance':
        get.side_effect = exception.InstanceNotFound(instance_id=INSTANCE)
    elif why == 'no host':
        instance.host = None
    elif why == 'compute silent':
        validate.side_effect = messaging.MessagingTimeout('no answer')
    else:
        validate.side_effect = exception.InstanceNotFound(
            instance_id=INSTANCE)
    with mock.patch.object(objects.Instance, 'get_by_uuid', get):
        assert mgr.check_token(context.get_admin_context(), token) is None


def test_unknown_and_expired_tokens_refused_without_asking_compute(mgr,
                                                                   flags):
    ctxt = context.get_admin_context()
    assert mgr.check_token(ctxt, str(uuid.uuid4())) is None
    flags('consoleauth', token_ttl=0)
    token = _authorize(mgr)
    assert mgr.check_token(ctxt, token) is None
    assert not mgr.compute_rpcapi.validate_console_port.called


def test_port_validation_switched_off_for_tests(mgr, flags, caplog):
    flags('consoleauth', validate_console_port=False)
    mgr.init_host()
    assert 'Testing only' in caplog.text
    token = _authorize(mgr)
    with mock.patch.object(objects.Instance, 'get_by_uuid') as get:
        assert mgr.check_token(context.get_admin_context(), token)
    assert not get.called
    assert not mgr.compute_rpcapi.validate_console_port.called


def test_token_is_checked_by_any_manager(remote, flags):
    # Two consoleauth processes share the tokens: nothing lives in memory.
    flags('consoleauth', validate_console_port=False)
    one = ca_manager.ConsoleAuthManager(host='ca1')
    two = ca_manager.ConsoleAuthManager(host='ca2')
    token = _authorize(one)
    assert two.check_token(context.get_admin_context(), token)


def test_delete_tokens_for_instance_revokes_tokens_and_sessions(mgr, flags):
    flags('consoleauth', validate_console_port=False)
    ctxt = context.get_admin_context()
    token = _authorize(mgr)
    other = _authorize(mgr, instance=str(uuid.uuid4()))
    assert mgr.check_session(ctxt, token) is True
    mgr.delete_tokens_for_instance(ctxt, INSTANCE)
    assert mgr.check_token(ctxt, token) is None
    assert mgr.check_session(ctxt, token) is False
    assert mgr.check_token(ctxt, other)


def test_session_outlives_expiry_but_not_port_change(mgr, flags):
    flags('consoleauth', token_ttl=0)
    ctxt = context.get_admin_context()
    token = _authorize(mgr)
    with mock.patch.object(objects.Instance, 'get_by_uuid',
                           return_value=_instance()):
        assert mgr.check_session(ctxt, token) is True
        mgr.compute_rpcapi.validate_console_port.return_value = False
        assert mgr.check_session(ctxt, token) is False


def test_authorize_same_token_twice_conflicts(mgr):
    token = _authorize(mgr)
    # Expected: the RPC server sends it back without logging a traceback.
    with pytest.raises(messaging.ExpectedException) as raised:
        _authorize(mgr, token=token)
    assert isinstance(raised.value.exc_info[1], exception.Conflict)


def test_purge_task_spares_sessions_rechecked_recently(mgr, flags):
    flags('consoleauth', token_ttl=0, validate_console_port=False)
    flags('console', session_recheck_interval=30)
    ctxt = context.get_admin_context()
    in_use = _authorize(mgr)
    idle = _authorize(mgr)
    mgr.check_session(ctxt, in_use)
    with mock.patch.object(
            objects.ConsoleAuthToken, 'clean_expired_console_auths',
            wraps=objects.ConsoleAuthToken.clean_expired_console_auths) as c:
        mgr.purge_expired_tokens(ctxt)
    assert c.call_args.kwargs == {'in_use_grace': 90}
    assert mgr.check_session(ctxt, in_use) is True
    assert mgr.check_session(ctxt, idle) is False


def test_purge_is_a_periodic_task():
    tasks = dict(ca_manager.ConsoleAuthManager._periodic_tasks)
    assert 'purge_expired_tokens' in tasks
    assert ca_manager.ConsoleAuthManager._periodic_spacing[
        'purge_expired_tokens'] == ca_manager.PURGE_SPACING


@pytest.mark.parametrize('method,obj_method', [
    ('check_token', 'validate'), ('check_session', 'mark_in_use')])
def test_conductor_timeout_goes_back_as_expected(mgr, method, obj_method,
                                                 caplog):
    with mock.patch.object(objects.ConsoleAuthToken, obj_method,
                           side_effect=messaging.MessagingTimeout('x')):
        with pytest.raises(messaging.ExpectedException) as raised:
            getattr(mgr, method)(context.get_admin_context(), 'tok')
    assert isinstance(raised.value.exc_info[1], messaging.MessagingTimeout)
    assert 'the conductor did not answer' in caplog.text


@pytest.mark.parametrize('failure,keeps', [
    (messaging.MessagingTimeout('no answer'), True),
    (exception.HypervisorUnavailable(host='cn1'), True),
    ('port moved', False),
    ('instance gone', False),
])
def test_session_kept_while_compute_cannot_answer(mgr, failure, keeps):
    token = _authorize(mgr)
    ctxt = context.get_admin_context()
    get = mock.Mock(return_value=_instance())
    validate = mgr.compute_rpcapi.validate_console_port
    if failure == 'port moved':
        validate.return_value = False
    elif failure == 'instance gone':
        get.side_effect = exception.InstanceNotFound(instance_id=INSTANCE)
    else:
        validate.side_effect = failure
    with mock.patch.object(objects.Instance, 'get_by_uuid', get):
        assert mgr.check_session(ctxt, token) is keeps
        # A new connection is refused all the same.
        assert mgr.check_token(ctxt, token) is None
