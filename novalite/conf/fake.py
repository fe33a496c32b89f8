"""Options of the fake virt driver (``compute_driver = fake.FakeDriver``).

The fake driver keeps its guests in memory and reports whatever resources
these options say, so one machine can run many fake compute services.
"""

from oslo_config import cfg

fake_group = cfg.OptGroup('fake_driver', title='Fake virt driver options')

fake_opts = [
    cfg.IntOpt('vcpus', default=1000, min=1,
               help='Physical CPUs the fake hypervisor reports. Related '
                    'options: ``cpu_allocation_ratio``, '
                    '``reserved_host_cpus``.'),
    cfg.IntOpt('memory_mb', default=800000, min=1,
               help='Host memory in MiB the fake hypervisor reports. '
                    'Related options: ``ram_allocation_ratio``, '
                    '``reserved_host_memory_mb``.'),
    cfg.IntOpt('local_gb', default=600000, min=1,
               help='Local disk in GiB the fake hypervisor reports. '
                    'Related options: ``disk_allocation_ratio``, '
                    '``reserved_host_disk_mb``.'),
    cfg.FloatOpt('spawn_delay', default=0.0, min=0.0,
                 help='Seconds ``spawn`` takes, to imitate a slow '
                      'hypervisor.'),
    cfg.FloatOpt('power_delay', default=0.0, min=0.0,
                 help='Seconds every power operation (stop, start, reboot, '
                      'pause, suspend and their inverses) and ``destroy`` '
                      'take.'),
    cfg.IntOpt('vnc_port_base', default=5900, min=1, max=65535,
               help='First VNC port handed out to fake guests; each guest '
                    'gets the next one.'),
]


def register_opts(conf):
    conf.register_group(fake_group)
    conf.register_opts(fake_opts, group=fake_group)


def list_opts():
    return {fake_group: fake_opts}
