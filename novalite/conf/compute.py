"""novalite-compute options: driver, resources, concurrency, timeouts."""

from oslo_config import cfg

compute_opts = [
    cfg.StrOpt('compute_driver',
               default='libvirt.LibvirtDriver',
               help='Virt driver, relative to ``novalite.virt``. Possible '
                    'values: ``libvirt.LibvirtDriver``, ``fake.FakeDriver`` '
                    '(and its test variants in novalite.virt.fake).'),
    cfg.StrOpt('instances_path',
               default='$state_path/instances',
               help='Where instance directories and the base-image cache '
                    '(``_base``) live. Must be readable by the hypervisor.'),
    cfg.IntOpt('max_concurrent_builds', default=10, min=0,
               help='Builds running at once on this compute; 0 means '
                    'unlimited.'),
    cfg.IntOpt('instance_build_timeout', default=0, min=0,
               help='Seconds a build may stay in BUILD before it is put in '
                    'ERROR; 0 disables the check.'),
    cfg.IntOpt('reserved_host_memory_mb', default=512, min=0,
               help='Host memory in MiB kept away from guests.'),
    cfg.IntOpt('reserved_host_disk_mb', default=0, min=0,
               help='Host disk in MiB kept away from guests.'),
    cfg.IntOpt('reserved_host_cpus', default=0, min=0,
               help='Host CPUs kept away from guests.'),
    cfg.FloatOpt('cpu_allocation_ratio', default=16.0, min=0.0,
                 help='Virtual CPUs per physical CPU the scheduler and '
                      'the resource tracker allow.'),
    cfg.FloatOpt('ram_allocation_ratio', default=1.5, min=0.0,
                 help='Virtual RAM per physical RAM allowed.'),
    cfg.FloatOpt('disk_allocation_ratio', default=1.0, min=0.0,
                 help='Virtual disk per physical disk allowed.'),
    cfg.IntOpt('update_resources_interval', default=60, min=0,
               help='Seconds between ``update_available_resource`` runs.'),
    cfg.IntOpt('sync_power_state_interval', default=600, min=-1,
               help='Seconds between power-state syncs with the '
                    'hypervisor; -1 disables the sync.'),
    cfg.IntOpt('shutdown_timeout', default=60, min=0,
               help='Seconds to wait for a guest to shut down cleanly '
                    'before it is destroyed.'),
    cfg.BoolOpt('resume_guests_state_on_host_boot', default=False,
                help='Restart guests that were running when the compute '
                     'host rebooted.'),
    cfg.StrOpt('default_availability_zone', default='nova',
               help='Availability zone of compute hosts not in any '
                    'aggregate zone.'),
    cfg.StrOpt('default_schedule_zone',
               help='Zone given to a server created without one; unset '
                    'means any zone.'),
    cfg.StrOpt('internal_service_availability_zone', default='internal',
               help='Zone shown for non-compute services.'),
]


def register_opts(conf):
    conf.register_opts(compute_opts)


def list_opts():
    return {'DEFAULT': compute_opts}
