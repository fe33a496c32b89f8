"""Fixed-IP flat networking options (``[network]``)."""

from oslo_config import cfg

network_group = cfg.OptGroup('network', title='Flat network options')

network_opts = [
    cfg.StrOpt('fixed_range', default='10.0.0.0/24',
               help='CIDR instances take fixed IPs from. The first address '
                    'is the gateway on the compute bridge.'),
    cfg.StrOpt('network_name', default='novalite',
               help='Name of the libvirt network each compute attaches '
                    'guests to.'),
    cfg.StrOpt('bridge', default='nlbr0',
               help='Bridge device of the flat network (at most 15 '
                    'characters).'),
    cfg.BoolOpt('create_network', default=True,
                help='Define and start the libvirt network named '
                     '``network_name`` (NAT, DHCP with one host entry per '
                     'instance, gateway = first address of '
                     '``fixed_range``) when novalite-compute starts and it '
                     'is missing or inactive. When False the network must '
                     'exist.'),
    cfg.BoolOpt('metadata_redirect', default=True,
                help='Redirect guests\' requests to '
                     '169.254.169.254:80 to the metadata API with an '
                     'iptables DNAT rule in the nat table, added when '
                     'novalite-compute starts. Related options: '
                     '``metadata_host``, ``[DEFAULT] '
                     'metadata_listen_port``.'),
    cfg.StrOpt('metadata_host', default='',
               help='Address of the metadata API the redirect goes to; '
                    'empty means the flat network\'s gateway (the API '
                    'then listens on that address or on 0.0.0.0). The '
                    'port is ``[DEFAULT] metadata_listen_port``.'),
    cfg.StrOpt('metadata_proxy_shared_secret', default='', secret=True,
               help='Secret shared with a metadata proxy that signs '
                    'X-Instance-ID; empty disables proxied requests.'),
]


def register_opts(conf):
    conf.register_group(network_group)
    conf.register_opts(network_opts, group=network_group)


def list_opts():
    return {network_group: network_opts}
