"""Option names, groups and defaults follow Nova's; every option is
documented and listed for the sample generator."""

import socket

import pytest
from oslo_config import cfg

from novalite import conf
from novalite.conf import opts

CONF = conf.CONF

# (group, name, Nova's default) for options novalite shares with Nova.
NOVA_DEFAULTS = [
    ('DEFAULT', 'report_interval', 10),
    ('DEFAULT', 'service_down_time', 60),
    ('DEFAULT', 'compute_driver', 'libvirt.LibvirtDriver'),
    ('DEFAULT', 'state_path', '/var/lib/novalite'),
    ('DEFAULT', 'instances_path', '/var/lib/novalite/instances'),
    ('DEFAULT', 'osapi_compute_listen', '0.0.0.0'),
    ('DEFAULT', 'osapi_compute_listen_port', 8774),
    ('DEFAULT', 'metadata_listen', '0.0.0.0'),
    ('DEFAULT', 'metadata_listen_port', 8775),
    ('DEFAULT', 'enabled_apis', ['osapi_compute', 'metadata']),
    ('DEFAULT', 'periodic_enable', True),
    ('DEFAULT', 'periodic_fuzzy_delay', 60),
    ('DEFAULT', 'max_concurrent_builds', 10),
    ('DEFAULT', 'default_availability_zone', 'nova'),
    ('DEFAULT', 'internal_service_availability_zone', 'internal'),
    ('DEFAULT', 'cpu_allocation_ratio', 16.0),
    ('DEFAULT', 'ram_allocation_ratio', 1.5),
    ('DEFAULT', 'disk_allocation_ratio', 1.0),
    ('DEFAULT', 'reserved_host_memory_mb', 512),
    ('api', 'auth_strategy', 'keystone'),
    ('api', 'max_limit', 1000),
    ('scheduler', 'max_attempts', 3),
    ('filter_scheduler', 'host_subset_size', 1),
    ('vnc', 'novncproxy_port', 6080),
    ('vnc', 'enabled', True),
    ('database', 'connection', None),
]


def _node(conf_obj, group):
    """``conf_obj`` or its group, for a group given as name or OptGroup."""
    group = getattr(group, 'name', group)
    return conf_obj if group == 'DEFAULT' else getattr(conf_obj, group)


def _default(group, name):
    return _node(CONF, group)[name]


@pytest.mark.parametrize('group,name,default', NOVA_DEFAULTS)
def test_nova_option_names_and_defaults(group, name, default):
    assert _default(group, name) == default


def test_host_defaults_to_the_hostname():
    assert CONF.host == socket.gethostname()


def test_every_listed_option_is_registered_and_documented():
    seen = 0
    for group, group_opts in opts.list_opts():
        for opt in group_opts:
            seen += 1
            assert opt.help and len(opt.help) > 10, (group, opt.dest)
            node = _node(CONF, group)
            # Reading it proves it is registered in that group.
            node[opt.dest]
    assert seen > 50


def test_every_area_module_registers_what_it_lists():
    for module in opts._MODULES:
        fresh = cfg.ConfigOpts()
        module.register_opts(fresh)
        for group, group_opts in module.list_opts().items():
            registered = set(_node(fresh, group))
            for opt in group_opts:
                assert opt.dest in registered, (module.__name__, opt.dest)


def test_non_db_daemons_need_no_database_section(tmp_path):
    """A config file without [database] parses; connection stays unset."""
    path = tmp_path / 'n.conf'
    path.write_text('[DEFAULT]\nhost = h1\nreport_interval = 3\n')
    fresh = cfg.ConfigOpts()
    for module in opts._MODULES:
        module.register_opts(fresh)
    fresh(['--config-file', str(path)], project='novalite')
    assert fresh.host == 'h1'
    assert fresh.report_interval == 3
    assert fresh.database.connection is None


def test_config_importable_after_conf_was_parsed():
    """Regression: importing novalite.config after CONF had been parsed in
    the same process raised ArgsAlreadyParsedError (oslo.log CLI options)."""
    import subprocess
    import sys
    script = ('from novalite import conf\n'
              'conf.CONF([], project="novalite")\n'
              'from novalite import config\n'
              'config.parse_args(["--debug"], init_rpc=False)\n'
              'print("DEBUG", conf.CONF.debug)\n')
    proc = subprocess.run([sys.executable, '-c', script], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'DEBUG True' in proc.stdout
