"""novalite-conductor options."""

from oslo_config import cfg

conductor_group = cfg.OptGroup('conductor', title='Conductor options')

conductor_opts = [
    cfg.IntOpt('workers', min=1,
               help='Number of conductor worker processes. Default: the '
                    'number of CPUs.'),
    cfg.IntOpt('lost_build_timeout', default=60, min=0,
               help='Seconds a new build may wait in BUILD / scheduling '
                    'with no host chosen before a conductor schedules it '
                    'again. Such a build was lost on its way to the '
                    'conductor (a message bus restart, a conductor killed '
                    'while scheduling it); scheduling it twice is harmless '
                    'because only one compute can accept it. Each re-drive '
                    'counts as a scheduling attempt.\n\n'
                    'Possible values: 0 disables the check; a positive '
                    'number of seconds, which should exceed the time a '
                    'burst of requests may queue for the conductor.\n\n'
                    'Related options: ``[scheduler] max_attempts`` (the '
                    'attempts a build gets before it goes to ERROR), '
                    '``[DEFAULT] rpc_response_timeout`` (the bound a '
                    'compute uses for builds assigned to it that never '
                    'arrived).'),
]


def register_opts(conf):
    conf.register_group(conductor_group)
    conf.register_opts(conductor_opts, group=conductor_group)


def list_opts():
    return {conductor_group: conductor_opts}
