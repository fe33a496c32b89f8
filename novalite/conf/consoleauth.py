"""novalite-consoleauth options."""

from oslo_config import cfg

consoleauth_group = cfg.OptGroup('consoleauth', title='Console token options')

consoleauth_opts = [
    cfg.IntOpt('token_ttl', default=600, min=0,
               help='Seconds a console token stays valid after it is '
                    'issued. A console session opened within that time '
                    'may outlive it. Possible values: 0 or more seconds.'),
    cfg.BoolOpt('validate_console_port', default=True,
                help='Ask the instance\'s compute service, on every token '
                     'check, whether the console port still belongs to '
                     'the instance. Testing only: a deployment without any '
                     'compute service (the console proxy tests) sets this '
                     'to False; novalite-consoleauth then logs a warning '
                     'at start.'),
]


def register_opts(conf):
    conf.register_group(consoleauth_group)
    conf.register_opts(consoleauth_opts, group=consoleauth_group)


def list_opts():
    return {consoleauth_group: consoleauth_opts}
