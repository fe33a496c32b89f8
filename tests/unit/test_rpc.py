"""novalite.rpc: the context and objects travel both ways; a bad
transport fails fast with a ConfigError naming ``transport_url``.

The in-process round trip uses oslo.messaging's fake driver, which still
JSON-encodes every message; the same round trip over RabbitMQ is in
tests/functional/test_foundation_rpc.py.
"""

import socket
import time

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from novalite import conf as conf_mod
from novalite import context
from novalite import exception
from novalite import objects
from novalite.objects import base as objects_base
from novalite import rpc

objects.register_all()


@pytest.fixture
def clean_rpc():
    rpc.cleanup()
    yield
    rpc.cleanup()


def _conf(url):
    conf_obj = cfg.ConfigOpts()
    conf_obj([], project='novalite-test')
    # oslo.messaging registers its own transport options on first use.
    messaging.get_rpc_transport(conf_obj, url='fake://').cleanup()
    conf_obj.set_override('transport_url', url)
    return conf_obj


def _ctxt():
    return context.RequestContext(
        user_id='u1', project_id='p1', roles=['member', 'reader'],
        is_admin=False, request_id='req-11111111-2222-3333-4444-555555555555',
        global_request_id='req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        read_deleted='yes')


def test_context_survives_serialisation():
    serializer = rpc.RequestContextSerializer()
    wire = serializer.serialize_context(_ctxt())
    assert isinstance(wire, dict)
    back = serializer.deserialize_context(wire)
    assert isinstance(back, context.RequestContext)
    assert (back.user_id, back.project_id) == ('u1', 'p1')
    assert back.roles == ['member', 'reader']
    assert back.is_admin is False
    assert back.request_id == 'req-11111111-2222-3333-4444-555555555555'
    assert back.global_request_id == \
        'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
    assert back.read_deleted == 'yes'


def test_objects_survive_serialisation():
    serializer = rpc.RequestContextSerializer(
        objects_base.NovaliteObjectSerializer())
    svc = objects.Service(host='h1', binary='novalite-compute',
                          report_count=3)
    wire = serializer.serialize_entity(_ctxt(), svc)
    assert isinstance(wire, dict) and 'novalite_object.name' in wire
    back = serializer.deserialize_entity(_ctxt(), wire)
    assert isinstance(back, objects.Service)
    assert (back.host, back.binary, back.report_count) == \
        ('h1', 'novalite-compute', 3)


class _Endpoint:
    target = messaging.Target(version='1.0')

    def describe(self, ctxt, svc):
        return {'context_class': type(ctxt).__name__,
                'roles': ctxt.roles, 'user_id': ctxt.user_id,
                'request_id': ctxt.request_id,
                'global_request_id': ctxt.global_request_id,
                'svc_class': type(svc).__name__, 'svc_host': svc.host}

    def bump(self, ctxt, svc):
        svc.report_count += 1
        return svc


def _client(topic):
    """A client as an rpcapi.py builds one."""
    return rpc.get_client(messaging.Target(topic=topic, version='1.0'),
                          serializer=objects_base.NovaliteObjectSerializer())


def _server(topic, host, endpoints):
    """A server as novalite.service builds one."""
    return rpc.get_server(messaging.Target(topic=topic, server=host),
                          endpoints,
                          serializer=objects_base.NovaliteObjectSerializer())


def _use_fake_transport():
    """The process-wide transport, on oslo.messaging's fake driver."""
    rpc._STATE['transport'] = messaging.get_rpc_transport(
        rpc.CONF, url='fake://', allowed_remote_exmods=rpc.ALLOWED_EXMODS)


def test_call_carries_context_and_objects_both_ways(clean_rpc):
    _use_fake_transport()
    server = _server('nltest', 'h1', [_Endpoint()])
    server.start()
    try:
        client = _client('nltest').prepare(server='h1', timeout=10)
        svc = objects.Service(host='h9', report_count=1)
        out = client.call(_ctxt(), 'describe', svc=svc)
        assert out == {
            'context_class': 'RequestContext',
            'roles': ['member', 'reader'], 'user_id': 'u1',
            'request_id': 'req-11111111-2222-3333-4444-555555555555',
            'global_request_id': 'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
            'svc_class': 'Service', 'svc_host': 'h9'}
        back = client.call(_ctxt(), 'bump', svc=svc)
        assert isinstance(back, objects.Service)
        assert back.report_count == 2
    finally:
        server.stop()
        server.wait()


def test_server_consumes_topic_and_topic_dot_host(clean_rpc):
    _use_fake_transport()
    server = _server('compute', 'cn7', [_Endpoint()])
    server.start()
    try:
        client = _client('compute')
        svc = objects.Service(host='x')
        for cctxt in (client.prepare(timeout=10),
                      client.prepare(server='cn7', timeout=10)):
            assert cctxt.call(_ctxt(), 'describe', svc=svc)['svc_host'] == 'x'
        with pytest.raises(messaging.MessagingTimeout):
            client.prepare(server='cn8', timeout=1).call(
                _ctxt(), 'describe', svc=svc)
    finally:
        server.stop()
        server.wait()


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_check_transport_unreachable_broker(clean_rpc):
    port = _closed_port()
    conf_obj = _conf('rabbit://guest:guest@127.0.0.1:%d/' % port)
    with pytest.raises(exception.ConfigError) as info:
        rpc.check_transport(conf_obj, timeout=2)
    message = info.value.format_message()
    assert '[DEFAULT] transport_url' in message
    assert '127.0.0.1:%d' % port in message


def test_check_transport_unknown_driver(clean_rpc):
    conf_obj = _conf('nosuchmq://guest:guest@127.0.0.1/')
    with pytest.raises(exception.ConfigError) as info:
        rpc.check_transport(conf_obj)
    assert '[DEFAULT] transport_url' in info.value.format_message()


def test_check_transport_accepts_a_listening_broker(clean_rpc):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    try:
        port = listener.getsockname()[1]
        rpc.check_transport(_conf('rabbit://guest:guest@127.0.0.1:%d/'
                                  % port), timeout=2)
    finally:
        listener.close()


def test_rabbit_exceptions_from_novalite_are_rebuilt():
    assert 'novalite.exception' in rpc.ALLOWED_EXMODS


def test_listener_idle_wait_reaches_oslo_messaging(clean_rpc):
    """oslo.messaging's listeners read their first idle wait from a module
    constant of the AMQP driver; init() sets it from
    ``[DEFAULT] rpc_listener_idle_wait`` (an oslo.messaging that no longer
    has the constant fails here, not silently in production)."""
    from oslo_messaging._drivers import amqpdriver
    conf_obj = _conf('fake://')
    conf_obj.register_opts(
        [o for o in conf_mod.service.service_opts
         if o.name == 'rpc_listener_idle_wait'])
    conf_obj.set_override('rpc_listener_idle_wait', 0.02)
    saved = amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN
    try:
        rpc.init(conf_obj)
        assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN == 0.02
        rpc.cleanup()
        # A bare ConfigOpts without novalite's options: the default.
        rpc.init(_conf('fake://'))
        assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN == \
            conf_mod.service.LISTENER_IDLE_WAIT == 0.2
    finally:
        amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = saved


# -- calls bounded by a deadline, and what the API answers without a reply --

class _RecordingCallContext:
    """A prepared oslo.messaging call context that records what it got."""

    def __init__(self, conf_obj, timeout=None, retry=None):
        self.conf = conf_obj
        self.timeout = timeout
        self.retry = retry
        self.target = messaging.Target(topic='conductor')
        self.sent = []

    def prepare(self, timeout=None, retry=None):
        prepared = _RecordingCallContext(self.conf, timeout, retry)
        prepared.sent = self.sent
        return prepared

    def call(self, ctxt, method, **kwargs):
        self.sent.append((method, self.timeout, self.retry))
        return 'answer'


def _rabbit_conf():
    conf_obj = _conf('rabbit://guest:guest@127.0.0.1:5672/')
    transport = messaging.get_rpc_transport(conf_obj)  # registers options
    messaging.get_rpc_client(transport, messaging.Target(topic='x'))
    transport.cleanup()
    conf_obj.set_override('rpc_response_timeout', 60)
    return conf_obj


def test_calls_inside_bounded_calls_wait_no_longer_than_the_deadline():
    recorder = _RecordingCallContext(_rabbit_conf())
    cctxt = rpc._BoundedCallContext(recorder)
    assert cctxt.call(None, 'ping') == 'answer'
    with rpc.bounded_calls(time.monotonic() + 8):
        cctxt.call(None, 'ping')
    with rpc.bounded_calls(time.monotonic() + 8, attempt_timeout=3):
        cctxt.prepare().call(None, 'ping')
    (_m, plain_timeout, plain_retry), (_m, timeout, retry), \
        (_m, attempt, _r) = recorder.sent
    assert (plain_timeout, plain_retry) == (None, None)
    assert 7 < timeout <= 8
    # Default pauses: 1 + 1, 3 + 1 s: two reconnections fit in 8 s.
    assert retry == 2
    assert attempt == 3


def test_a_call_after_the_deadline_is_not_sent():
    recorder = _RecordingCallContext(_rabbit_conf())
    with rpc.bounded_calls(time.monotonic() - 1):
        with pytest.raises(messaging.MessagingTimeout):
            rpc._BoundedCallContext(recorder).call(None, 'ping')
    assert recorder.sent == []


def test_publish_retries_follow_the_rabbit_driver_s_pauses():
    conf_obj = _rabbit_conf()
    assert rpc.publish_retries(conf_obj, 0) == 1
    assert rpc.publish_retries(conf_obj, 29) == 4   # 2 + 4 + 6 + 8 s
    assert rpc.publish_retries(conf_obj, 30) == 5   # ... + 10 s
    assert rpc.publish_retries(cfg.ConfigOpts(), 30) == 1


def test_get_client_calls_honour_bounded_calls(clean_rpc):
    conf_mod.CONF.set_override('transport_url', 'fake://')
    try:
        client = _client('nobody-listens')
        started = time.monotonic()
        with rpc.bounded_calls(time.monotonic() + 0.5):
            with pytest.raises(messaging.MessagingTimeout):
                client.prepare().call(_ctxt(), 'ping')
        assert time.monotonic() - started < 5
    finally:
        conf_mod.CONF.clear_override('transport_url')


@pytest.mark.parametrize('error', [
    messaging.MessagingTimeout('Timed out waiting for a reply'),
    messaging.MessageDeliveryFailure('Unable to connect to AMQP server'),
])
def test_an_unanswered_call_reaching_the_api_is_503_not_500(error):
    from novalite.api.openstack import faults
    assert faults.is_expected(error)
    resp = faults.exception_response(error)
    assert resp.status_int == 503
    body = resp.json
    assert list(body) == ['serviceUnavailable']
    assert body['serviceUnavailable']['code'] == 503
    assert resp.headers['Retry-After'] == str(
        conf_mod.CONF.api.unavailable_retry_after)


def test_conductor_unavailable_is_503_with_its_retry_after():
    from novalite.api.openstack import faults
    exc = exception.ConductorUnavailable(retry_after=4)
    assert faults.is_expected(exc)
    resp = faults.exception_response(exc)
    assert resp.status_int == 503
    assert resp.headers['Retry-After'] == '4'
    assert 'novalite-conductor' in resp.json['serviceUnavailable']['message']


def test_an_error_the_conductor_raised_stays_a_500():
    from novalite.api.openstack import faults
    assert not faults.is_expected(messaging.RemoteError('KeyError', 'x'))
