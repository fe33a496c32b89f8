"""Parse the command line and config files; set up logging and RPC."""

from oslo_config import cfg
from oslo_log import log as logging

from novalite import conf
from novalite import rpc

CONF = conf.CONF

_DEFAULT_LOG_LEVELS = [
    'amqp=WARN', 'amqplib=WARN', 'kombu=WARN', 'oslo.messaging=INFO',
    'oslo_messaging=INFO', 'sqlalchemy=WARN', 'stevedore=WARN',
    'routes.middleware=WARN', 'keystonemiddleware=WARN', 'websockify=WARN',
    'oslo_policy=INFO', 'iso8601=WARN', 'eventlet.wsgi.server=WARN',
    'urllib3=WARN', 'oslo_service=INFO', 'alembic.runtime.plugins=WARN',
]



def _register_log_options():
    """oslo.log's options, CLI ones included, on ``CONF``.

    :returns: False when ``CONF`` was already parsed (a test process that
        drove it before importing this module); :func:`parse_args` then
        clears the parse and registers them first.
    """
    try:
        logging.register_options(CONF)
    except cfg.ArgsAlreadyParsedError:
        return False
    return True


_LOG_OPTIONS_REGISTERED = _register_log_options()


def parse_args(argv, default_config_files=None, init_rpc=True):
    """Parse ``argv`` (without the program name) and set up logging.

    :param init_rpc: create the oslo.messaging transport as well.
    """
    global _LOG_OPTIONS_REGISTERED
    if not _LOG_OPTIONS_REGISTERED:
        CONF.clear()
        _LOG_OPTIONS_REGISTERED = _register_log_options()
    logging.set_defaults(default_log_levels=_DEFAULT_LOG_LEVELS)
    CONF(argv, project='novalite', version='0.1.0',
         default_config_files=default_config_files)
    logging.setup(CONF, 'novalite')
    if init_rpc:
        rpc.init(CONF)
