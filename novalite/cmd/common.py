"""What every daemon's ``main()`` does: parse, check, start, serve.

Configuration mistakes end the process with exit status 1 and one log line
naming the option, not a traceback.
"""

import re
import sys

from oslo_config import cfg
from oslo_log import log as logging

from novalite.conductor import rpcapi as conductor_rpcapi
from novalite import config
from novalite import exception
from novalite import objects
from novalite import rpc
from novalite import service
from novalite.objects import base as obj_base

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def setup(binary, argv=None, db_check=None, prepare=None):
    """Parse config, set up logging and RPC, arm the DB guard.

    :param db_check: the conductor's (and novalite-all's) start-up check of
        its database; without it remotable object calls go to the
        conductor and DB access raises.
    :param prepare: called right after parsing, before any check (for
        novalite-all's embedded defaults).
    :raises: ConfigError for a bad option value, an unusable transport or
        (conductor) an unreachable or unsynced database.
    """
    try:
        config.parse_args(sys.argv[1:] if argv is None else argv,
                          init_rpc=False)
    except cfg.Error as exc:
        sys.stderr.write('%s: configuration error: %s\n' % (binary, exc))
        sys.exit(1)
    if prepare is not None:
        prepare()
    check_option_values()
    objects.register_all()
    rpc.check_transport()
    if db_check is not None:
        db_check()
    elif binary in _ANSWERS_USERS:
        use_conductor(binary, request_deadline=CONF.api.request_deadline,
                      retry_after=CONF.api.unavailable_retry_after)
    else:
        use_conductor(binary)
    for check in _PREFLIGHT.get(binary, ()):
        check()


def use_conductor(binary, request_deadline=None, retry_after=None):
    """Route remotable object calls through the conductor and forbid DB
    access: what every daemon but the conductor (and novalite-all and
    novalite-manage, which run them locally) does at start-up.

    :param request_deadline: seconds a request may wait on the conductor
        (novalite-api); see
        :func:`~novalite.conductor.rpcapi.object_indirection`.
    :param retry_after: what a 503 tells the client to wait, in seconds.
    """
    obj_base.use_indirection(
        binary,
        conductor_rpcapi.object_indirection(request_deadline, retry_after))


def check_option_values(conf_obj=None):
    """Read every registered option once so a bad value fails now.

    oslo.config converts values lazily; without this a typo such as
    ``report_interval = ten`` would surface as a traceback from deep inside
    a timer instead of a one-line start-up error.

    :raises: ConfigError naming the option.
    """
    conf_obj = conf_obj or CONF
    for name in list(conf_obj):
        value_or_group = _read_option(conf_obj, None, name)
        if isinstance(value_or_group, cfg.ConfigOpts.GroupAttr):
            for opt_name in list(value_or_group):
                _read_option(conf_obj, name, opt_name)


def _read_option(conf_obj, group, name):
    try:
        if group is None:
            return getattr(conf_obj, name)
        return getattr(getattr(conf_obj, group), name)
    except (cfg.Error, ValueError) as exc:
        # "Value for option x from LocationInfo(...) is not valid: why"
        reason = re.sub(r'^Value for option .* is not valid: ',
                        'invalid value: ', str(exc))
        raise exception.ConfigError(
            option='[%s] %s' % (group or 'DEFAULT', name), reason=reason)


def check_compute_driver(conf_obj=None):
    """Fail at start-up when ``compute_driver`` names no loadable driver.

    :raises: ConfigError naming ``[DEFAULT] compute_driver``.
    """
    from oslo_utils import importutils

    conf_obj = conf_obj or CONF
    name = conf_obj.compute_driver
    if not name:
        raise exception.ConfigError(option='[DEFAULT] compute_driver',
                                    reason='no driver is set')
    try:
        cls = importutils.import_class('novalite.virt.' + name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise exception.ConfigError(
            option='[DEFAULT] compute_driver',
            reason='cannot load driver %r (expected e.g. fake.FakeDriver or '
                   'libvirt.LibvirtDriver): %s' % (name, exc))
    from novalite.virt import driver as virt_driver
    if not (isinstance(cls, type) and
            issubclass(cls, virt_driver.ComputeDriver)):
        raise exception.ConfigError(option='[DEFAULT] compute_driver',
                                    reason='%r is not a compute driver'
                                    % name)


# Start-up checks particular to one daemon, run after setup().
_PREFLIGHT = {'novalite-compute': (check_compute_driver,)}

# Daemons whose object calls are made for a user waiting on an answer:
# they end by ``[api] request_deadline`` (503 rather than a long wait or a
# 500 while the broker or the conductor is away).
_ANSWERS_USERS = ('novalite-api',)


def run(binary, func):
    """Call ``func()``, turning configuration errors into exit status 1.

    The error is logged outside the ``except`` block on purpose: oslo.log
    appends a summary of the exception being handled to every record logged
    inside one, which would say the same thing twice.
    """
    try:
        return func()
    except exception.ConfigError as exc:
        message = exc.format_message()
    LOG.error('%s cannot start: %s', binary, message)
    sys.exit(1)


def serve_rpc(binary, topic, manager, workers=None, argv=None,
              db_check=None):
    """Entry-point body of an RPC daemon (conductor, scheduler, ...)."""
    def _start():
        setup(binary, argv, db_check=db_check)
        server = service.Service.create(binary=binary, topic=topic,
                                        manager=manager)
        service.serve(server, workers=workers() if callable(workers)
                      else workers)
    run(binary, _start)
