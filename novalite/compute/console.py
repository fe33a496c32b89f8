"""Console access on this host: VNC connect info and the serial log.

``get_vnc_console`` asks the driver where the guest's VNC server listens,
makes a fresh token and returns the connect info the api hands to
consoleauth; ``validate_console_port`` lets consoleauth check that a
token's port still belongs to the instance.
"""

from oslo_utils import uuidutils

from novalite import conf
from novalite import exception

CONF = conf.CONF

VNC_CONSOLE_TYPES = ('novnc',)


def _check_vnc(console_type):
    if not CONF.vnc.enabled:
        raise exception.ConsoleTypeUnavailable(console_type=console_type)
    if console_type not in VNC_CONSOLE_TYPES:
        raise exception.ConsoleTypeInvalid(console_type=console_type)


def access_url(token):
    """The URL a browser opens.

    ``<novncproxy_base_url>?path=%3Ftoken%3D<token>``, as Nova builds it.
    """
    return '%s?path=%%3Ftoken%%3D%s' % (CONF.vnc.novncproxy_base_url, token)


def get_vnc_console(manager, context, instance, console_type):
    """Connect info with a new token.

    :returns: dict ``token``, ``host``, ``port``, ``internal_access_path``,
        ``access_url``, ``console_type``.
    :raises: ConsoleTypeUnavailable, ConsoleTypeInvalid, InstanceNotFound
    """
    _check_vnc(console_type)
    host, port = manager.driver.get_vnc_console(context, instance)
    token = uuidutils.generate_uuid()
    return {'token': token, 'host': host, 'port': int(port),
            'internal_access_path': None, 'access_url': access_url(token),
            'console_type': console_type}


def validate_console_port(manager, context, instance, port, console_type):
    """True when ``port`` is the instance's console port right now."""
    try:
        _check_vnc(console_type)
        _host, real_port = manager.driver.get_vnc_console(context, instance)
    except (exception.InstanceNotFound, exception.ConsoleTypeUnavailable,
            exception.ConsoleTypeInvalid):
        return False
    return str(real_port) == str(port)


def get_console_output(manager, context, instance, tail_length=None):
    """The guest's console log, its last ``tail_length`` lines if given."""
    output = manager.driver.get_console_output(context, instance)
    if tail_length is None:
        return output
    lines = output.splitlines()
    tail = lines[-int(tail_length):] if int(tail_length) > 0 else []
    return '\n'.join(tail)
