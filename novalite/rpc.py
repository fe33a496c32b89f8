"""oslo.messaging plumbing: transport, serializers, clients and servers.

Every daemon calls :func:`init` once after parsing config. Clients and
servers built here share one transport. Their serializer always carries the
:class:`~novalite.context.RequestContext` (rebuilt as that class, not a
dict, on the far side); what the arguments and results are made of is the
caller's to say: each ``rpcapi.py`` (and the service's server) passes the
versioned-object serializer, so this module knows nothing of objects.

A caller that must answer someone by a deadline (novalite-api answering a
user) makes its calls inside :func:`bounded_calls`: each ``call`` then
waits for its reply, and retries publishing to a broker that is away,
only as long as the deadline allows.
"""

import contextlib
import threading
import time

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging

from novalite import conf
from novalite.conf import service as service_conf
from novalite import context as nl_context
from novalite.tuning import messaging as messaging_tuning

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Exceptions from these modules are re-raised as their own classes on the
# caller's side (e.g. UnexpectedTaskStateError from the conductor).
ALLOWED_EXMODS = ['novalite.exception']

_STATE = {}

messaging.set_transport_defaults(control_exchange='novalite')

# What a call raises when no answer came: the broker or the peer is away
# (or slow). An error the peer raised (RemoteError, a novalite exception)
# is not among them: it did answer.
UNREACHABLE = (messaging.MessagingTimeout, messaging.MessageDeliveryFailure,
               messaging.ClientSendError, messaging.MessageUndeliverable)

# Per green thread (``threading`` is patched in every daemon): the limits
# of the calls made inside a bounded_calls block.
_LOCAL = threading.local()


class RequestContextSerializer(messaging.Serializer):
    """Wraps an entity serializer and (de)serialises the request context."""

    def __init__(self, base=None):
        self._base = base

    def serialize_entity(self, context, entity):
        return self._base.serialize_entity(context, entity) \
            if self._base else entity

    def deserialize_entity(self, context, entity):
        return self._base.deserialize_entity(context, entity) \
            if self._base else entity

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return nl_context.RequestContext.from_dict(context)


def _listener_idle_wait(conf_obj):
    try:
        return conf_obj.rpc_listener_idle_wait
    except cfg.NoSuchOptError:  # a bare ConfigOpts (a tool's, a test's)
        return service_conf.LISTENER_IDLE_WAIT


def init(conf_obj=None):
    """Create the process-wide transport from ``transport_url``."""
    conf_obj = conf_obj or CONF
    if 'transport' not in _STATE:
        messaging_tuning.set_listener_idle_wait(
            _listener_idle_wait(conf_obj))
        _STATE['transport'] = messaging.get_rpc_transport(
            conf_obj, allowed_remote_exmods=ALLOWED_EXMODS)
    return _STATE['transport']


def initialized():
    return 'transport' in _STATE


def cleanup():
    transport = _STATE.pop('transport', None)
    if transport is not None:
        transport.cleanup()


def get_client(target, version_cap=None, serializer=None):
    """An RPC client for ``target`` (a ``messaging.Target`` with a topic);
    callers ``prepare(server=host)``.

    :param serializer: (de)serialises arguments and results, e.g. the
        versioned-object serializer; the request context is carried
        either way.

    Its calls honour :func:`bounded_calls`.
    """
    return messaging.get_rpc_client(
        init(), target, client_cls=_Client, version_cap=version_cap,
        serializer=RequestContextSerializer(serializer))


class _Client(messaging.RPCClient):
    """oslo.messaging's client whose prepared calls honour the limits of
    :func:`bounded_calls`."""

    def prepare(self, *args, **kwargs):
        return _BoundedCallContext(super().prepare(*args, **kwargs))

    def call(self, ctxt, method, **kwargs):
        return self.prepare().call(ctxt, method, **kwargs)


class _BoundedCallContext:
    """A prepared call context; ``call`` applies the current limits."""

    def __init__(self, cctxt):
        self._cctxt = cctxt

    def prepare(self, *args, **kwargs):
        return _BoundedCallContext(self._cctxt.prepare(*args, **kwargs))

    def call(self, ctxt, method, **kwargs):
        limits = getattr(_LOCAL, 'limits', None)
        cctxt = self._cctxt if limits is None else limits.apply(self._cctxt)
        return cctxt.call(ctxt, method, **kwargs)

    def __getattr__(self, name):  # cast, can_send_version, target...
        return getattr(self._cctxt, name)


class _CallLimits:
    def __init__(self, deadline, attempt_timeout):
        self.deadline = deadline
        self.attempt_timeout = attempt_timeout

    def apply(self, cctxt):
        """``cctxt`` prepared to wait no longer than the limits allow.

        :raises: MessagingTimeout, without sending, once the deadline
            has passed.
        """
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise messaging.MessagingTimeout(
                'The deadline of the request passed before the call to %s '
                'was sent' % cctxt.target.topic)
        timeout = cctxt.timeout or cctxt.conf.rpc_response_timeout
        timeout = min(timeout, remaining, self.attempt_timeout or remaining)
        retry = publish_retries(cctxt.conf, remaining)
        if cctxt.retry is not None and 0 <= cctxt.retry < retry:
            retry = cctxt.retry
        return cctxt.prepare(timeout=timeout, retry=retry)


@contextlib.contextmanager
def bounded_calls(deadline, attempt_timeout=None):
    """Make the RPC calls of this green thread, inside the block, end by
    ``deadline`` (a ``time.monotonic()`` value).

    Each call waits for its reply at most until the deadline (and at most
    ``attempt_timeout`` seconds when given), and reconnects to a broker
    that is away only about as often as fits before it (see
    :func:`publish_retries`); a call started after the deadline raises
    MessagingTimeout without being sent. Casts are not affected.
    """
    previous = getattr(_LOCAL, 'limits', None)
    _LOCAL.limits = _CallLimits(deadline, attempt_timeout)
    try:
        yield
    finally:
        _LOCAL.limits = previous


def publish_retries(conf_obj, seconds):
    """How many times the RabbitMQ driver may reconnect to publish one
    message in about ``seconds``, following its own pauses
    (``rabbit_retry_interval`` growing by ``rabbit_retry_backoff`` up to
    ``rabbit_interval_max``, plus ``kombu_reconnect_delay`` each time);
    at least 1, so a connection the broker dropped is made again once.
    """
    try:
        opts = conf_obj.oslo_messaging_rabbit
        interval = opts.rabbit_retry_interval
        step = opts.rabbit_retry_backoff
        cap = opts.rabbit_interval_max
        delay = opts.kombu_reconnect_delay
    except (cfg.NoSuchOptError, AttributeError):  # another driver
        return 1
    retries, spent = 0, 0.0
    while spent + interval + delay <= seconds:
        spent += interval + delay
        retries += 1
        interval = min(interval + step, cap)
    return max(retries, 1)


def get_server(target, endpoints, serializer=None):
    """An RPC server for ``target``: one with a topic and a server consumes
    ``topic`` and ``topic.server`` (and fanout).

    :param serializer: as for :func:`get_client`.
    """
    return messaging.get_rpc_server(
        init(), target, endpoints,
        serializer=RequestContextSerializer(serializer),
        access_policy=messaging.DefaultRPCAccessPolicy)


def check_transport(conf_obj=None, timeout=5.0):
    """Fail fast, naming ``transport_url``, when the broker is unusable.

    oslo.messaging would otherwise retry forever in the background; at
    start-up a daemon should rather exit with one clear line.

    :raises: ConfigError
    """
    import socket

    from novalite import exception

    conf_obj = conf_obj or CONF
    try:
        init(conf_obj)
        url = messaging.TransportURL.parse(conf_obj, conf_obj.transport_url)
    except (messaging.InvalidTransportURL,
            messaging.DriverLoadFailure) as exc:
        raise exception.ConfigError(option='[DEFAULT] transport_url',
                                    reason=str(exc))
    if url.transport in ('fake', 'kafka'):
        return
    if not url.hosts:
        raise exception.ConfigError(option='[DEFAULT] transport_url',
                                    reason='no broker host is set')
    errors = []
    for host in url.hosts:
        address = (host.hostname or '127.0.0.1', host.port or 5672)
        try:
            socket.create_connection(address, timeout=timeout).close()
        except OSError as exc:
            errors.append('%s:%s (%s)' % (address[0], address[1], exc))
            continue
        refused = _amqp_login_error(conf_obj, url, host, address, timeout)
        if refused is None:
            return
        # The broker answers but will not have us: a wrong user, password
        # or vhost never heals by retrying.
        raise exception.ConfigError(
            option='[DEFAULT] transport_url',
            reason='the broker at %s:%s refused the login (user %r, vhost '
                   '%r): %s' % (address[0], address[1], host.username,
                                url.virtual_host or '/', refused))
    raise exception.ConfigError(
        option='[DEFAULT] transport_url',
        reason='cannot reach the message broker at %s' % ', '.join(errors))


def _amqp_login_error(conf_obj, url, host, address, timeout):
    """Log in to a RabbitMQ broker once; the refusal text, or None.

    Only plain-AMQP rabbit URLs are tried; anything else (TLS, other
    drivers) counts as fine once the port answers, and so does any failure
    that is not a refusal (the running daemon will retry those).
    """
    if url.transport != 'rabbit':
        return None
    rabbit_opts = getattr(conf_obj, 'oslo_messaging_rabbit', None)
    if getattr(rabbit_opts, 'ssl', False):
        return None
    import amqp
    import kombu

    connection = kombu.Connection(
        hostname=address[0], port=address[1],
        userid=host.username or 'guest', password=host.password or 'guest',
        virtual_host=url.virtual_host or '/', connect_timeout=timeout,
        transport='pyamqp')
    try:
        connection.connect()
    except (amqp.exceptions.AccessRefused, amqp.exceptions.NotAllowed,
            amqp.exceptions.ConnectionForced) as exc:
        return str(exc).splitlines()[0]
    except Exception:  # timeouts and the like: not a config error
        return None
    finally:
        connection.release()
    return None
