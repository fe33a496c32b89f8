"""VNC console and novncproxy options, as Nova's ``[vnc]`` and ``[console]``."""

from oslo_config import cfg

vnc_group = cfg.OptGroup('vnc', title='VNC console options')
console_group = cfg.OptGroup('console', title='Console proxy options')

vnc_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Give guests a VNC console and serve console URLs.'),
    cfg.StrOpt('server_listen', default='127.0.0.1',
               help='Address the guests\' VNC servers listen on, on the '
                    'compute host.'),
    cfg.StrOpt('server_proxyclient_address', default='127.0.0.1',
               help='Address novncproxy connects to for this compute\'s '
                    'VNC servers.'),
    cfg.URIOpt('novncproxy_base_url',
               default='http://127.0.0.1:6080/vnc_auto.html',
               help='Public URL of the noVNC page handed to users.'),
    cfg.StrOpt('novncproxy_host', default='0.0.0.0',
               help='Address novncproxy listens on.'),
    cfg.PortOpt('novncproxy_port', default=6080,
                help='Port novncproxy listens on.'),
    cfg.StrOpt('web', default='/usr/share/novalite/novnc',
               help='Directory of the noVNC web client served by '
                    'novncproxy.'),
]

console_opts = [
    cfg.ListOpt('allowed_origins', default=[],
                help='Extra origins (host names) accepted for console '
                     'WebSockets besides the proxy\'s own host.'),
    cfg.BoolOpt('ssl_only', default=False,
                help='Refuse plain HTTP/WS on novncproxy.'),
    cfg.StrOpt('cert', default='self.pem',
               help='TLS certificate file for novncproxy.'),
    cfg.StrOpt('key', help='TLS key file, if not in ``cert``.'),
    cfg.IntOpt('session_recheck_interval', default=30, min=0,
               help='Seconds between re-checks of an open console session '
                    'by novncproxy: a session whose token was revoked '
                    '(instance deleted, rebuilt, resized or moved) is '
                    'closed at the next re-check. 0 disables re-checks. '
                    'novalite-consoleauth keeps the tokens of sessions '
                    're-checked in the last three intervals past their '
                    'expiry. Related options: ``[consoleauth] '
                    'token_ttl``.'),
]


def register_opts(conf):
    conf.register_group(vnc_group)
    conf.register_opts(vnc_opts, group=vnc_group)
    conf.register_group(console_group)
    conf.register_opts(console_opts, group=console_group)


def list_opts():
    return {vnc_group: vnc_opts, console_group: console_opts}
