"""Options every daemon shares: identity of the host, heartbeats, periodic tasks."""

import socket

from oslo_config import cfg

# See rpc_listener_idle_wait below.
LISTENER_IDLE_WAIT = 0.2

service_opts = [
    cfg.StrOpt('host',
               default=socket.gethostname(),
               sample_default='<current_hostname>',
               help='Name of this node. Used as the server part of RPC '
                    'topics (``compute.<host>``) and in the services and '
                    'compute nodes tables; must be unique per node and '
                    'stable across restarts. Possible values: any string '
                    'valid as an AMQP routing key.'),
    cfg.StrOpt('my_ip',
               default='127.0.0.1',
               help='IP address of this host on the management network. '
                    'Related options: ``[vnc] server_proxyclient_address``.'),
    cfg.StrOpt('state_path',
               default='/var/lib/novalite',
               help='Top-level directory for novalite state (images, '
                    'instances, locks).'),
    cfg.IntOpt('report_interval',
               default=10, min=1,
               help='Seconds between heartbeats of a service to the '
                    'conductor. Related options: ``service_down_time`` must '
                    'be larger.'),
    cfg.IntOpt('service_down_time',
               default=60, min=1,
               help='Seconds since the last heartbeat after which a service '
                    'is considered down. Related options: '
                    '``report_interval``.'),
    cfg.BoolOpt('periodic_enable',
                default=True,
                help='Run periodic tasks (resource updates, power-state '
                     'sync, token purging) in this service.'),
    cfg.IntOpt('periodic_fuzzy_delay',
               default=60, min=0,
               help='Upper bound in seconds of a random delay before the '
                    'first periodic task run, to spread load across a '
                    'fleet. 0 disables the delay.'),
    cfg.FloatOpt('rpc_listener_idle_wait',
                 default=LISTENER_IDLE_WAIT, min=0.001, max=1.0,
                 help='Seconds an RPC listener first waits for the next '
                      'message after one arrived, before it wakes up to '
                      'send the acknowledgements its workers left it; '
                      'every further idle wake-up doubles the wait (up to '
                      '5 s). A message that arrives ends the wait at '
                      'once, so this delays only acknowledgements (and '
                      'only when nothing else arrives). oslo.messaging '
                      'itself starts at 1 ms: some ten wake-ups after '
                      'every message, which cost a service that gets a '
                      'message now and then (a compute during a burst) '
                      'more CPU than the messages themselves. The price: '
                      'RabbitMQ delivers again a message not yet '
                      'acknowledged when its service dies, and a longer '
                      'wait widens that window (guarded saves and '
                      'api-chosen instance uuids make most messages '
                      'harmless the second time). Possible values: 0.001 '
                      'to 1.0.'),
    cfg.IntOpt('graceful_shutdown_timeout_seconds',
               default=30, min=0,
               help='Seconds a stopping service (SIGTERM) waits for the '
                    'RPC requests it is handling to finish before it exits '
                    'anyway. Heartbeats and periodic tasks are not waited '
                    'for: a stop abandons them at once, even in the middle '
                    'of a call to a conductor that is gone. Possible '
                    'values: 0 (do not wait) or more. Related options: '
                    '``graceful_shutdown_timeout`` (oslo.service: after '
                    'that many seconds the process exits at once whatever '
                    'it is doing; keep it larger).'),
]


def register_opts(conf):
    conf.register_opts(service_opts)


def list_opts():
    return {'DEFAULT': service_opts}
