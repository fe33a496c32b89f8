"""novalite-novncproxy: the noVNC web client and its WebSocket-to-VNC relay.

Holds no database access and no RPC server: it asks consoleauth about
tokens and relays RFB between browsers and the computes' VNC servers.
"""

import os

from oslo_log import log as logging

from novalite.cmd import common
from novalite import conf
from novalite.console import websocketproxy
from novalite import exception

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def _check_files():
    """:raises: ConfigError naming the option that points nowhere."""
    web = CONF.vnc.web
    if not os.path.isdir(web):
        raise exception.ConfigError(
            option='[vnc] web',
            reason='%s is not a directory (tools/install-novnc.sh installs '
                   'the noVNC client there)' % web)
    if CONF.console.ssl_only and not os.path.isfile(CONF.console.cert):
        raise exception.ConfigError(
            option='[console] cert',
            reason='ssl_only is set but %s does not exist'
                   % CONF.console.cert)
    if CONF.console.key and not os.path.isfile(CONF.console.key):
        raise exception.ConfigError(
            option='[console] key',
            reason='%s does not exist' % CONF.console.key)


def main():
    def _start():
        common.setup('novalite-novncproxy')
        _check_files()
        proxy = websocketproxy.from_config()
        LOG.info('novalite-novncproxy serving %s on %s:%s', CONF.vnc.web,
                 CONF.vnc.novncproxy_host, CONF.vnc.novncproxy_port)
        proxy.start_server()
    common.run('novalite-novncproxy', _start)
