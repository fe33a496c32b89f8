"""Database options. Only the conductor and novalite-manage read them."""

from oslo_config import cfg

database_group = cfg.OptGroup('database', title='Database options',
                              help='Connection to the novalite database. '
                                   'Only novalite-conductor and '
                                   'novalite-manage use it; the other '
                                   'daemons need no [database] section.')

database_opts = [
    cfg.StrOpt('connection',
               secret=True,
               help='SQLAlchemy URL of the database, for example '
                    '``mysql+pymysql://novalite:secret@127.0.0.1/novalite``. '
                    '``sqlite:///path`` works for novalite-all on a laptop.'),
    cfg.IntOpt('max_pool_size', default=10, min=1,
               help='Connections kept open in the pool per process.'),
    cfg.IntOpt('max_overflow', default=20, min=0,
               help='Connections allowed above ``max_pool_size`` at peak.'),
    cfg.IntOpt('pool_timeout', default=30, min=1,
               help='Seconds to wait for a connection from the pool.'),
    cfg.IntOpt('connection_recycle_time', default=3600, min=1,
               help='Seconds after which a pooled connection is replaced.'),
    cfg.BoolOpt('connection_debug', default=False,
                help='Log every SQL statement (very verbose).'),
]


def register_opts(conf):
    conf.register_group(database_group)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return {database_group: database_opts}
