"""[api] options: how long a request waits on the services it needs."""

from oslo_config import cfg

from novalite.conf.api import api_group

deadline_opts = [
    cfg.FloatOpt('request_deadline',
                 default=30.0, min=1.0,
                 help='Seconds a request to the compute API may spend '
                      'waiting for novalite-conductor, counted from the '
                      'moment the request arrived. While RabbitMQ restarts '
                      'or the conductor is away, an object read that has no '
                      'side effect (a flavor, a server, a list) is sent '
                      'again until it is answered, each attempt waiting at '
                      'most a third of this; a write is sent once. When the '
                      'deadline passes the API answers 503 '
                      '``serviceUnavailable`` with a ``Retry-After`` header '
                      'instead of an error 500. Possible values: 1 or more; '
                      'keep it below the timeout of the clients and of any '
                      'proxy in front of the API. Related options: '
                      '``[DEFAULT] rpc_response_timeout`` (no single call '
                      'waits longer than that), '
                      '``[api] unavailable_retry_after``.'),
    cfg.IntOpt('unavailable_retry_after',
               default=10, min=0,
               help='Seconds the API tells a client to wait, in the '
                    '``Retry-After`` header of a 503 answer, before it '
                    'sends the request again. Possible values: 0 or more. '
                    'Related options: ``[api] request_deadline``.'),
]


def register_opts(conf):
    conf.register_group(api_group)
    conf.register_opts(deadline_opts, group=api_group)


def list_opts():
    return {api_group: deadline_opts}
