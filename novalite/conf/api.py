"""novalite-api options: listeners, auth strategy, paging, metadata service."""

from oslo_config import cfg

api_group = cfg.OptGroup('api', title='API options')
wsgi_group = cfg.OptGroup('wsgi', title='WSGI options')

listen_opts = [
    cfg.ListOpt('enabled_apis',
                default=['osapi_compute', 'metadata'],
                help='APIs novalite-api serves. Possible values: '
                     '``osapi_compute``, ``metadata``.'),
    cfg.StrOpt('osapi_compute_listen', default='0.0.0.0',
               help='Address the compute API listens on.'),
    cfg.PortOpt('osapi_compute_listen_port', default=8774,
                help='Port the compute API listens on.'),
    cfg.IntOpt('osapi_compute_workers', min=1,
               help='Worker processes for the compute API. Default: the '
                    'number of CPUs.'),
    cfg.StrOpt('metadata_listen', default='0.0.0.0',
               help='Address the metadata API listens on.'),
    cfg.PortOpt('metadata_listen_port', default=8775,
                help='Port the metadata API listens on.'),
    cfg.IntOpt('metadata_workers', min=1,
               help='Worker processes for the metadata API. Default: the '
                    'number of CPUs.'),
]

api_opts = [
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Validate tokens with keystonemiddleware'),
                        ('noauth2', 'Trust X-Auth-Token "user:project"; '
                                    'for testing only')],
               help='How API requests are authenticated.'),
    cfg.BoolOpt('allow_noauth2_on_public_address', default=False,
                help='Let novalite-api start with ``auth_strategy = '
                     'noauth2`` while listening on a non-loopback address. '
                     'Anyone who reaches the port is then admin.'),
    cfg.IntOpt('max_limit', default=1000, min=0,
               help='Largest number of items a collection returns in one '
                    'response.'),
    cfg.StrOpt('compute_link_prefix',
               help='Base URL placed in links to compute resources instead '
                    'of the request host, e.g. behind a proxy.'),
    cfg.BoolOpt('use_forwarded_for', default=False,
                help='Take the client address from X-Forwarded-For.'),
    cfg.StrOpt('vendordata_jsonfile_path',
               help='File whose JSON is served as vendor_data.json by the '
                    'metadata API.'),
    cfg.StrOpt('dhcp_domain', default='novalocal',
               help='Domain the metadata API appends to an instance\'s '
                    'hostname (``hostname`` of meta_data.json, EC2 '
                    '``hostname`` / ``local-hostname``); empty for the '
                    'bare hostname.'),
]

wsgi_opts = [
    cfg.StrOpt('api_paste_config', default='api-paste.ini',
               help='paste.deploy file describing the API pipelines; a '
                    'relative path is looked up next to the config files.'),
    cfg.IntOpt('max_request_body_size', default=114688, min=1,
               help='Largest request body in bytes; larger ones get 413.'),
    cfg.IntOpt('client_socket_timeout', default=900, min=0,
               help='Seconds an idle client connection is kept open.'),
]


def register_opts(conf):
    conf.register_opts(listen_opts)
    conf.register_group(api_group)
    conf.register_opts(api_opts, group=api_group)
    conf.register_group(wsgi_group)
    conf.register_opts(wsgi_opts, group=wsgi_group)


def list_opts():
    return {'DEFAULT': listen_opts, api_group: api_opts, wsgi_group: wsgi_opts}
