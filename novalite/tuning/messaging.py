"""oslo.messaging internals novalite sets.

Checked against oslo.messaging 18.3.1.

The AMQP driver keeps the first idle wait of an RPC listener (and of the
reply waiter) in a module constant, ``ACK_REQUEUE_EVERY_SECONDS_MIN`` of
``oslo_messaging._drivers.amqpdriver``; it is read when a listener or a
reply waiter is built and on every idle wake-up, and no option sets it.
Its stock value, a millisecond, has every idle listener wake up a thousand
times a second; novalite sets ``[DEFAULT] rpc_listener_idle_wait``
instead.
"""

from oslo_messaging._drivers import amqpdriver


def set_listener_idle_wait(seconds):
    """Make RPC listeners created from now on first wait ``seconds`` for
    the next message."""
    amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = seconds


def listener_idle_wait():
    """The first idle wait listeners get now, in seconds."""
    return amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN
