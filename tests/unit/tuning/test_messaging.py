"""novalite.tuning.messaging against the installed oslo.messaging: the AMQP
driver still has the constant, and still reads it when listeners and reply
waiters wait (so setting it at start-up has an effect). A failure here
after an upgrade means the tuning module needs a look."""

import ast
import inspect
import numbers

from oslo_messaging._drivers import amqpdriver

from novalite.tuning import messaging as messaging_tuning

NAME = 'ACK_REQUEUE_EVERY_SECONDS_MIN'


def _readers():
    """Qualified names of the driver's methods that read the constant as
    a module global, when they run (not once, at import)."""
    found = set()
    tree = ast.parse(inspect.getsource(amqpdriver))
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for func in cls.body:
            if isinstance(func, ast.FunctionDef) and any(
                    isinstance(node, ast.Name) and node.id == NAME and
                    isinstance(node.ctx, ast.Load)
                    for node in ast.walk(func)):
                found.add('%s.%s' % (cls.name, func.name))
    return found


def test_the_driver_has_the_constant():
    assert isinstance(getattr(amqpdriver, NAME), numbers.Real)


def test_listeners_and_reply_waiters_read_it_when_they_wait():
    readers = _readers()
    assert {'AMQPListener.__init__', 'AMQPListener.poll'} <= readers, \
        readers
    assert any(name.startswith('ReplyWaiter.') for name in readers), \
        readers


def test_set_listener_idle_wait_sets_the_constant():
    saved = getattr(amqpdriver, NAME)
    try:
        messaging_tuning.set_listener_idle_wait(0.05)
        assert getattr(amqpdriver, NAME) == 0.05
        assert messaging_tuning.listener_idle_wait() == 0.05
    finally:
        setattr(amqpdriver, NAME, saved)
