"""libvirt driver options (``[libvirt]``)."""

from oslo_config import cfg

libvirt_group = cfg.OptGroup('libvirt', title='libvirt driver options')

libvirt_opts = [
    cfg.StrOpt('virt_type', default='kvm', choices=['kvm', 'qemu'],
               help='Domain type. ``kvm`` needs working hardware '
                    'virtualisation (the CPU must show vmx or svm); the '
                    'compute refuses to start with ``kvm`` where it cannot '
                    'work. ``qemu`` is software emulation (TCG), slower but '
                    'available everywhere. ``tools/install-libvirt.sh`` '
                    'prints the right value for the host.'),
    cfg.StrOpt('connection_uri', default='',
               help='libvirt URI; empty means ``qemu:///system``.'),
    cfg.IntOpt('tb_cache_mb', default=16, min=0,
               help='TCG translation-block cache per guest in MiB when '
                    '``virt_type = qemu``; 0 keeps QEMU\'s default (which '
                    'costs tens of MiB more host memory per guest). Ignored '
                    'under ``kvm``.'),
    cfg.StrOpt('domain_name_template', default='instance-%08x',
               help='Name of an instance\'s libvirt domain, formatted with '
                    'the instance\'s integer id. Clouds sharing one '
                    'libvirtd (test clouds) need distinct templates.'),
    cfg.StrOpt('machine_type', default='pc',
               help='QEMU machine type of new guests, e.g. ``pc`` or '
                    '``q35``.'),
    cfg.StrOpt('cpu_mode', choices=['none', 'host-model',
                                    'host-passthrough'],
               help='CPU model given to guests. Default: ``host-model`` '
                    'under ``kvm``, none (QEMU\'s default CPU) under '
                    '``qemu``.'),
    cfg.IntOpt('wait_soft_reboot_seconds', default=120, min=1,
               help='Seconds a soft reboot waits for the guest to shut '
                    'down after the ACPI power button before it falls back '
                    'to a hard reboot.'),
    cfg.IntOpt('shutdown_retry_interval', default=10, min=1,
               help='Seconds between ACPI power button presses while a '
                    'clean shutdown is waited for (a guest still booting '
                    'may miss the first). Related options: ``[DEFAULT] '
                    'shutdown_timeout``.'),
    cfg.IntOpt('console_log_max_bytes', default=100 * 1024, min=1024,
               help='Most bytes of the serial console log returned by '
                    '``os-getConsoleOutput`` (the end of the log).'),
]


def register_opts(conf):
    conf.register_group(libvirt_group)
    conf.register_opts(libvirt_opts, group=libvirt_group)


def list_opts():
    return {libvirt_group: libvirt_opts}
