"""Scheduler options, named as Nova's ``[scheduler]`` and ``[filter_scheduler]``."""

from oslo_config import cfg

scheduler_group = cfg.OptGroup('scheduler', title='Scheduler options')
filter_group = cfg.OptGroup('filter_scheduler', title='Filter scheduler options')

scheduler_opts = [
    cfg.IntOpt('max_attempts', default=3, min=1,
               help='Hosts tried for one build (the first choice plus '
                    'reschedules) before the server goes to ERROR. '
                    '``select_destinations`` returns up to '
                    '``max_attempts - 1`` alternates per instance.'),
    cfg.IntOpt('workers', min=1,
               help='Scheduler worker processes. Default: the number of '
                    'CPUs.'),
    cfg.IntOpt('host_state_refresh_seconds', default=2, min=0,
               help='Seconds a host-state snapshot fetched from the '
                    'conductor is reused before it is fetched again (in '
                    'the background, while requests use the old one). '
                    'Within that window the scheduler counts its own '
                    'choices against the hosts, so a burst spreads. When '
                    'a fetch takes longer than a fifth of this, the '
                    'window grows to five times the fetch time. 0 fetches '
                    'on every request, inline.'),
    cfg.IntOpt('pending_claim_seconds', default=30, min=0,
               help='Upper bound in seconds on how long a choice this '
                    'scheduler made is still counted against its host '
                    'after a refresh, while the compute node row does not '
                    'show the instance yet. Related options: '
                    '``host_state_refresh_seconds``.'),
]

filter_opts = [
    cfg.MultiStrOpt('available_filters',
                    default=['novalite.scheduler.filters.all_filters'],
                    help='Filter classes (or functions returning lists of '
                         'them) the scheduler may use, by import path. '
                         'Give the option several times to add your own '
                         'filters next to the built-in ones.'),
    cfg.ListOpt('enabled_filters',
                default=['RetryFilter', 'AvailabilityZoneFilter',
                         'RamFilter', 'CoreFilter', 'DiskFilter',
                         'ComputeFilter', 'ComputeCapabilitiesFilter',
                         'ImagePropertiesFilter',
                         'ServerGroupAntiAffinityFilter',
                         'ServerGroupAffinityFilter', 'SameHostFilter',
                         'DifferentHostFilter'],
                help='Filters applied, by class name; each must be among '
                     '``available_filters``. Possible values: RetryFilter, '
                     'AvailabilityZoneFilter, RamFilter, CoreFilter, '
                     'DiskFilter, ComputeFilter, ComputeCapabilitiesFilter, '
                     'ImagePropertiesFilter, ServerGroupAffinityFilter, '
                     'ServerGroupAntiAffinityFilter, SameHostFilter, '
                     'DifferentHostFilter, or a custom filter\'s name.'),
    cfg.ListOpt('weight_classes',
                default=['novalite.scheduler.weights.all_weighers'],
                help='Weigher classes (or functions returning lists of '
                     'them) used to rank the hosts that pass, by import '
                     'path. Built-in: '
                     'novalite.scheduler.weights.ram.RAMWeigher, '
                     'novalite.scheduler.weights.cpu.CPUWeigher, '
                     'novalite.scheduler.weights.disk.DiskWeigher.'),
    cfg.IntOpt('host_subset_size', default=1, min=1,
               help='Pick randomly among the best N hosts, so that '
                    'several schedulers (or a burst) do not all choose '
                    'the same host. 1 always takes the best one.'),
    cfg.FloatOpt('ram_weight_multiplier', default=1.0,
                 help='Multiplier of the free-RAM weight. Positive spreads '
                      'instances over hosts, negative stacks them, 0 '
                      'ignores RAM.'),
    cfg.FloatOpt('cpu_weight_multiplier', default=1.0,
                 help='Multiplier of the free-vCPU weight (under '
                      '``cpu_allocation_ratio``). Positive spreads, '
                      'negative stacks.'),
    cfg.FloatOpt('disk_weight_multiplier', default=1.0,
                 help='Multiplier of the free-disk weight. Positive '
                      'spreads, negative stacks.'),
]


def register_opts(conf):
    conf.register_group(scheduler_group)
    conf.register_opts(scheduler_opts, group=scheduler_group)
    conf.register_group(filter_group)
    conf.register_opts(filter_opts, group=filter_group)


def list_opts():
    return {scheduler_group: scheduler_opts, filter_group: filter_opts}
