"""Quota defaults, the same names and values as Nova's ``[quota]``."""

from oslo_config import cfg

quota_group = cfg.OptGroup('quota', title='Quota options')

quota_opts = [
    cfg.IntOpt('instances', default=10, min=-1,
               help='Servers per project; -1 is unlimited.'),
    cfg.IntOpt('cores', default=20, min=-1,
               help='Instance cores per project; -1 is unlimited.'),
    cfg.IntOpt('ram', default=50 * 1024, min=-1,
               help='Instance RAM in MiB per project; -1 is unlimited.'),
    cfg.IntOpt('metadata_items', default=128, min=-1,
               help='Metadata items per server; -1 is unlimited.'),
    cfg.IntOpt('injected_files', default=5, min=-1,
               help='Injected files per server; -1 is unlimited.'),
    cfg.IntOpt('injected_file_content_bytes', default=10 * 1024, min=-1,
               help='Bytes per injected file; -1 is unlimited.'),
    cfg.IntOpt('injected_file_path_length', default=255, min=-1,
               help='Length of an injected file path.'),
    cfg.IntOpt('key_pairs', default=100, min=-1,
               help='Key pairs per user; -1 is unlimited.'),
    cfg.IntOpt('server_groups', default=10, min=-1,
               help='Server groups per project; -1 is unlimited.'),
    cfg.IntOpt('server_group_members', default=10, min=-1,
               help='Servers per server group; -1 is unlimited.'),
    cfg.BoolOpt('recheck_quota', default=True,
                help='Count usage again after creating resources, to catch '
                     'races between parallel requests.'),
]


def register_opts(conf):
    conf.register_group(quota_group)
    conf.register_opts(quota_opts, group=quota_group)


def list_opts():
    return {quota_group: quota_opts}
