"""The one place novalite touches eventlet.

Everything that needs green threads, sleeping, semaphores or a WSGI server
asks this module, so moving to native threads later changes this file only.
"""

import warnings

# eventlet announces its own deprecation on import; the move away from it is
# planned through this module, so the warning is noise in every log.
warnings.filterwarnings('ignore', message=r'(?s).*Eventlet is deprecated')
warnings.filterwarnings('ignore', module='eventlet')

import eventlet  # noqa: E402
import eventlet.hubs  # noqa: E402
import eventlet.semaphore  # noqa: E402
import greenlet  # noqa: E402

# Raised in a green thread that was killed; waiting on it re-raises it.
GreenletExit = greenlet.GreenletExit

_PATCHED = False


def monkey_patch():
    """Patch the standard library for green threads, once, first thing."""
    global _PATCHED
    if not _PATCHED:
        eventlet.monkey_patch()
        _PATCHED = True


def reset_hub_after_fork():
    """Give a forked child process an event hub of its own.

    The epoll hub is a kernel object: a child that keeps its parent's hub
    shares it with the parent and every sibling, and their green threads
    steal each other's wake-ups (a select() timeout that never fires).
    """
    eventlet.hubs.use_hub()


def spawn(func, *args, **kwargs):
    """Run ``func`` in a new green thread; returns a handle with ``wait()``."""
    return eventlet.spawn(func, *args, **kwargs)


def spawn_n(func, *args, **kwargs):
    """Run ``func`` in a new green thread whose result nobody waits for."""
    eventlet.spawn_n(func, *args, **kwargs)


def sleep(seconds=0):
    eventlet.sleep(seconds)


def Semaphore(count):  # noqa: N802 - mirrors threading.Semaphore
    return eventlet.semaphore.Semaphore(count)


def listen(address, port, backlog=128):
    return eventlet.listen((address, port), backlog=backlog)


def serve_wsgi(sock, app, logger, socket_timeout=None):
    """Serve ``app`` on ``sock`` until the process stops."""
    # Imported here, not at the top: eventlet.wsgi re-imports http.server
    # with green sockets and threads and rebinds the ``http.server``
    # attribute of the ``http`` package to that copy, which breaks plain
    # threaded HTTP servers anywhere else in the process (tests' stubs).
    import eventlet.wsgi
    # debug=False: an exception that escapes ``app`` is answered with a
    # bare 500, never with its traceback.
    eventlet.wsgi.server(sock, app, log=logger, log_output=False,
                         socket_timeout=socket_timeout, debug=False)


def is_monkey_patched():
    """True when the standard library was patched for green threads."""
    return eventlet.patcher.is_monkey_patched('thread')


def start_native_thread(func, *args, name=None):
    """Run ``func(*args)`` in a real OS thread (a daemon), even when
    ``threading`` is patched: for loops inside C libraries that block
    (libvirt's event loop). ``func`` must not touch green primitives."""
    threading = eventlet.patcher.original('threading')
    thread = threading.Thread(target=func, args=args, name=name,
                              daemon=True)
    thread.start()
    return thread


def native_proxy(obj, autowrap=()):
    """``obj`` with its method calls run in native worker threads when
    green threads are in use, so a blocking C call (libvirt) does not
    freeze the process; ``obj`` itself otherwise. Results that are
    instances of the ``autowrap`` classes are proxied too."""
    if not is_monkey_patched():
        return obj
    import eventlet.tpool
    return eventlet.tpool.Proxy(obj, autowrap=autowrap)
