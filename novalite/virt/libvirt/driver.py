"""The libvirt driver: real guests under QEMU (TCG) or KVM.

Every instance is a persistent libvirt domain named from ``[libvirt]
domain_name_template`` and the instance id, described by
:mod:`novalite.virt.libvirt.config`. Its directory
``<instances_path>/<uuid>/`` holds ``disk`` (a qcow2 overlay on the base
image cached in ``_base``, sized to the flavor's root disk) and
``console.log`` (the serial console, kept by virtlogd). Images with a
``kernel_id`` (AMI + AKI + ARI) boot the cached kernel and ramdisk
directly; ``raw``/``qcow2`` images boot from their own disk.

The NIC sits on the flat network of :mod:`novalite.network.flat`; the
driver adds the instance's DHCP host entry before a guest starts and
removes it when the guest is destroyed. ``init_host`` creates the network
when missing and the metadata redirect (:mod:`novalite.network.linux_net`).

Lifecycle events from libvirt (:mod:`novalite.virt.libvirt.host`) reach
the compute manager through ``emit_event``, so a guest that powers itself
off is seen at once, not at the next periodic sync.
"""

import contextlib
import json
import os
import shutil
import time
import xml.etree.ElementTree as ET

import libvirt
from oslo_log import log as logging
from oslo_utils import excutils
from oslo_utils import units

from novalite.compute import power_state
from novalite import conf
from novalite import exception
from novalite import green
from novalite.image import cache as image_cache
from novalite.network import flat
from novalite.network import linux_net
from novalite import privsep
from novalite.privsep import console as priv_console
from novalite.virt import driver
from novalite.virt.libvirt import config
from novalite.virt.libvirt import host as libvirt_host

CONF = conf.CONF
LOG = logging.getLogger(__name__)

DEFAULT_URI = 'qemu:///system'
CONSOLE_LOG = 'console.log'
DISK = 'disk'
# Nova's command line for AMI-style direct kernel boot: the disk as root,
# the kernel log and /dev/console on the serial port (the last console=).
DEFAULT_CMDLINE = 'root=/dev/vda console=tty0 console=ttyS0'
_START_TIMEOUT = 60
_POLL = 0.2
# Seconds between asking libvirt to start a new guest and writing its DHCP
# entry, so the start takes the network's lock first (see spawn).
_PLUG_DELAY = 0.05

#: libvirt domain state -> Nova power state.
LIBVIRT_POWER_STATE = {
    libvirt.VIR_DOMAIN_NOSTATE: power_state.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: power_state.RUNNING,
    # "blocked" is a running guest waiting on a resource.
    libvirt.VIR_DOMAIN_BLOCKED: power_state.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: power_state.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: power_state.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: power_state.SUSPENDED,
}


def power_state_of(lv_state, has_managed_save=False):
    """Nova's power state of a libvirt domain state; a shut-off domain
    with a managed save image is SUSPENDED."""
    if lv_state == libvirt.VIR_DOMAIN_SHUTOFF and has_managed_save:
        return power_state.SUSPENDED
    return LIBVIRT_POWER_STATE.get(lv_state, power_state.NOSTATE)


def kvm_unusable_reason(cpuinfo_path='/proc/cpuinfo', dev='/dev/kvm'):
    """Why KVM cannot run guests here, or None when it may.

    ``/dev/kvm`` alone proves nothing: a nested software mode exposes the
    node while the CPU offers no vmx/svm, and guests never finish booting.
    """
    if not os.path.exists(dev):
        return '%s does not exist' % dev
    try:
        with open(cpuinfo_path) as f:
            flags = set()
            for line in f:
                if line.startswith('flags'):
                    flags.update(line.split(':', 1)[1].split())
    except OSError as exc:
        return 'cannot read %s: %s' % (cpuinfo_path, exc)
    if not flags & {'vmx', 'svm'}:
        return ('the CPU shows no vmx/svm flag (%s is a nested software '
                'mode: guests would never finish booting)' % dev)
    return None


class LibvirtDriver(driver.ComputeDriver):
    """Guests as libvirt domains on ``[libvirt] connection_uri``."""

    capabilities = {
        'supports_pause': True,
        'supports_suspend': True,
        'supports_vnc_console': True,
    }

    def __init__(self, virtapi=None):
        super().__init__(virtapi)
        self.host_name = CONF.host
        self.network = flat.FlatNetwork(CONF.network.network_name,
                                        CONF.network.bridge,
                                        CONF.network.fixed_range)
        self._host = libvirt_host.Host(
            CONF.libvirt.connection_uri or DEFAULT_URI, self.emit_event)
        self._cache = None

    # -- helpers --------------------------------------------------------------

    @property
    def conn(self):
        return self._host.get_connection()

    @property
    def image_cache(self):
        if self._cache is None:
            self._cache = image_cache.ImageCache()
        return self._cache

    @staticmethod
    def instance_dir(instance):
        return os.path.join(CONF.instances_path, instance.uuid)

    @staticmethod
    def domain_name(instance):
        return CONF.libvirt.domain_name_template % instance.id

    @contextlib.contextmanager
    def _errors(self, instance, what):
        """libvirt errors as the contract's exceptions."""
        try:
            yield
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise exception.InstanceNotFound(instance_id=instance.uuid)
            raise exception.VirtDriverError(
                reason='%s of %s failed: %s' % (what, instance.uuid, exc))

    def _lookup(self, instance):
        """The instance's virDomain. :raises: InstanceNotFound"""
        with self._errors(instance, 'lookup'):
            return self.conn.lookupByUUIDString(instance.uuid)

    @staticmethod
    def _state(dom):
        return dom.state(0)[0]

    def _wait_for_state(self, dom, instance, states, timeout):
        deadline = time.monotonic() + timeout
        while True:
            state = self._state(dom)
            if state in states:
                return state
            if time.monotonic() >= deadline:
                raise exception.VirtDriverError(
                    reason='%s stayed in libvirt state %d for %d s'
                    % (instance.uuid, state, timeout))
            green.sleep(_POLL)

    def _start_logged(self, dom, instance):
        with self._errors(instance, 'spawn'):
            self._start(dom, instance)

    def _start(self, dom, instance):
        """Start a defined domain (restoring a managed save if any) and
        wait until it runs."""
        dom.createWithFlags(0)
        self._wait_for_state(dom, instance, (libvirt.VIR_DOMAIN_RUNNING,),
                             _START_TIMEOUT)

    def _hard_stop(self, dom, instance):
        """Pull the plug; a domain that is already down is fine."""
        for attempt in range(3):
            try:
                if not dom.isActive():
                    return
                dom.destroy()
                return
            except libvirt.libvirtError as exc:
                if not dom.isActive():
                    return
                # QEMU may take a moment to die (Device or resource busy).
                if attempt == 2:
                    raise
                LOG.warning('Destroying %s failed (%s); retrying',
                            instance.uuid, exc)
                green.sleep(1)

    def _acpi_shutdown(self, dom, timeout, interval):
        """Press the power button (again every ``interval`` s) until the
        guest is off or ``timeout`` s passed; True when it went off."""
        deadline = time.monotonic() + timeout
        next_press = 0.0
        while time.monotonic() < deadline:
            if not dom.isActive():
                return True
            if time.monotonic() >= next_press:
                try:
                    dom.shutdown()
                except libvirt.libvirtError:
                    if not dom.isActive():
                        return True
                    raise
                next_press = time.monotonic() + interval
            green.sleep(_POLL)
        return not dom.isActive()

    def plug_vifs(self, instance, network_info):
        """DHCP host entries for the instance's VIFs (idempotent)."""
        for vif in network_info or []:
            self.network.add_host(self.conn, vif['mac'], vif['address'],
                                  getattr(instance, 'hostname', None))

    # -- host -----------------------------------------------------------------

    def init_host(self, host):
        """Connect, check ``virt_type``, set up the flat network and the
        metadata redirect.

        :raises: HypervisorUnavailable when libvirtd does not answer;
            ConfigError for ``virt_type = kvm`` on a host where KVM cannot
            run guests, or a missing network with ``create_network`` off.
        """
        self.host_name = host
        conn = self.conn
        self._check_virt_type(conn)
        self._check_instances_path()
        self.network.ensure(conn, create=CONF.network.create_network)
        if CONF.network.metadata_redirect:
            self._redirect_metadata()
        LOG.info('libvirt driver ready on %s: %s guests (%s), network %s '
                 '(%s, gateway %s)', host, CONF.libvirt.virt_type,
                 conn.getType(), self.network.name, self.network.cidr,
                 self.network.gateway)

    def _redirect_metadata(self):
        host = CONF.network.metadata_host or self.network.gateway
        try:
            linux_net.ensure_metadata_redirect(
                self.network.bridge, host, CONF.metadata_listen_port)
        except privsep.FAILURES as exc:
            # Not fatal: the tiny guest also asks the gateway directly.
            LOG.error('Cannot redirect %s:80 to the metadata API at %s:%s '
                      '(privileged helper, [novalite_privsep]): %s',
                      linux_net.METADATA_ADDRESS, host,
                      CONF.metadata_listen_port, exc)

    def _check_virt_type(self, conn):
        virt_type = CONF.libvirt.virt_type
        if virt_type != 'kvm':
            LOG.info('[libvirt] virt_type = %s: guests run under QEMU '
                     'software emulation (TCG)', virt_type)
            return
        reason = kvm_unusable_reason()
        if reason is None:
            try:
                conn.getDomainCapabilities(None, 'x86_64', None, 'kvm', 0)
            except libvirt.libvirtError as exc:
                reason = 'libvirt has no KVM domain type: %s' % exc
        if reason:
            raise exception.ConfigError(
                option='[libvirt] virt_type',
                reason='kvm cannot run guests on this host: %s; set '
                       '[libvirt] virt_type = qemu' % reason)

    @staticmethod
    def _check_instances_path():
        path = os.path.abspath(CONF.instances_path)
        os.makedirs(path, exist_ok=True)
        # QEMU runs as another user (libvirt-qemu): every directory down
        # to an instance's disk must be searchable by others.
        probe = path
        while True:
            if not os.stat(probe).st_mode & 0o001:
                LOG.warning('%s is not searchable by other users: QEMU '
                            'will not be able to open disks under %s',
                            probe, path)
                break
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent

    def cleanup_host(self, host):
        self._host.close()

    def get_available_resource(self, nodename):
        conn = self.conn
        info = conn.getInfo()   # model, MiB, cpus, MHz, nodes, s, c, t
        vcpus_used = 0
        for dom in conn.listAllDomains(
                libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
            try:
                vcpus_used += dom.info()[3]
            except libvirt.libvirtError:
                pass            # went away meanwhile
        disk = os.statvfs(CONF.instances_path)
        total_gb = disk.f_frsize * disk.f_blocks // units.Gi
        free_gb = disk.f_frsize * disk.f_bavail // units.Gi
        caps = ET.fromstring(conn.getCapabilities())
        cpu_info = self._cpu_info(caps, info)
        virt_type = CONF.libvirt.virt_type
        # KiB: total, free, buffers, cached (getInfo()'s memory is the
        # NUMA cells' sum, which a container may under-report)
        mem = conn.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS, 0)
        memory_mb = mem['total'] // 1024
        free_mb = (mem.get('free', 0) + mem.get('buffers', 0) +
                   mem.get('cached', 0)) // 1024
        return {
            'vcpus': info[2],
            'memory_mb': memory_mb,
            'local_gb': total_gb,
            'vcpus_used': vcpus_used,
            'memory_mb_used': max(0, memory_mb - free_mb),
            'local_gb_used': total_gb - free_gb,
            'hypervisor_type': conn.getType(),
            'hypervisor_version': conn.getVersion(),
            'hypervisor_hostname': nodename,
            'cpu_info': json.dumps(cpu_info),
            'supported_instances': json.dumps(
                [[cpu_info['arch'], virt_type, 'hvm']]),
        }

    @staticmethod
    def _cpu_info(caps, info):
        cpu = caps.find('./host/cpu')

        def text(path, default=None):
            elem = cpu.find(path) if cpu is not None else None
            return elem.text if elem is not None else default
        topo = cpu.find('topology') if cpu is not None else None
        topology = {'sockets': info[5], 'cores': info[6],
                    'threads': info[7]}
        if topo is not None:
            topology = {k: int(topo.get(k, topology[k]))
                        for k in ('sockets', 'cores', 'threads')}
        return {
            'arch': text('arch', 'x86_64'),
            'model': text('model', info[0]),
            'vendor': text('vendor', ''),
            'topology': topology,
            'features': sorted(f.get('name') for f in
                               (cpu.iterfind('feature')
                                if cpu is not None else [])),
        }

    # -- queries --------------------------------------------------------------

    def _owner(self, dom):
        try:
            xml = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                               config.NOVALITE_NS, 0)
        except libvirt.libvirtError:
            return None
        return config.novalite_metadata(xml).get('host')

    def list_instance_uuids(self):
        """UUIDs of this compute's guests (those whose novalite metadata
        names this host), running or not."""
        uuids = []
        for dom in self.conn.listAllDomains(0):
            try:
                if self._owner(dom) == self.host_name:
                    uuids.append(dom.UUIDString())
            except libvirt.libvirtError:
                pass            # undefined meanwhile
        return uuids

    def instance_exists(self, instance):
        try:
            self._lookup(instance)
            return True
        except exception.InstanceNotFound:
            return False

    def get_info(self, instance):
        dom = self._lookup(instance)
        with self._errors(instance, 'get_info'):
            state = self._state(dom)
            saved = (state == libvirt.VIR_DOMAIN_SHUTOFF and
                     bool(dom.hasManagedSaveImage(0)))
        return driver.InstanceInfo(state=power_state_of(state, saved))

    # -- lifecycle ------------------------------------------------------------

    def build_guest(self, context, instance, image, network_info, inst_dir):
        """Fetch the image (and kernel/ramdisk) into the cache, create the
        disk overlay and return the :class:`config.Guest`."""
        props = image.get('properties') or {}
        cache = self.image_cache
        base = cache.fetch(context, image['id'], image)
        disk = os.path.join(inst_dir, DISK)
        if not os.path.exists(disk):
            image_cache.create_overlay(base, disk, instance.root_gb or 0,
                                       image.get('disk_format') or 'raw')
        kernel = initrd = cmdline = None
        kernel_id = instance.kernel_id or props.get('kernel_id')
        if kernel_id:
            kernel = cache.fetch(context, kernel_id)
            ramdisk_id = instance.ramdisk_id or props.get('ramdisk_id')
            if ramdisk_id:
                initrd = cache.fetch(context, ramdisk_id)
            cmdline = props.get('os_command_line') or DEFAULT_CMDLINE
        virt_type = CONF.libvirt.virt_type
        cpu_mode = CONF.libvirt.cpu_mode or (
            'host-model' if virt_type == 'kvm' else None)
        flavor = getattr(instance, 'flavor', None)
        guest = config.Guest(
            virt_type, self.domain_name(instance), instance.uuid,
            instance.memory_mb, instance.vcpus,
            machine_type=CONF.libvirt.machine_type, kernel=kernel,
            initrd=initrd, cmdline=cmdline,
            tb_cache_mb=CONF.libvirt.tb_cache_mb,
            cpu_mode=None if cpu_mode == 'none' else cpu_mode,
            metadata=config.GuestMetadata(
                instance.uuid, instance.display_name, self.host_name,
                flavor.name if flavor is not None else None))
        guest.add_device(config.GuestDisk(disk))
        for vif in network_info or []:
            guest.add_device(config.GuestInterface(self.network.name,
                                                   vif['mac']))
        guest.add_device(config.GuestSerialConsole(
            os.path.join(inst_dir, CONSOLE_LOG)))
        guest.add_device(config.GuestConsole())
        if CONF.vnc.enabled:
            guest.add_device(config.GuestVnc(CONF.vnc.server_listen))
        return guest

    def _image_record(self, context, instance, image_meta):
        image_id = (image_meta or {}).get('id') or instance.image_ref
        return self.image_cache.image_api.get(context, image_id)

    def _define(self, context, instance, image_meta, network_info):
        """Write the guest's definition from the instance (its disk made
        from the cached image if missing) and return the domain."""
        inst_dir = self.instance_dir(instance)
        os.makedirs(inst_dir, exist_ok=True)
        os.chmod(inst_dir, 0o755)
        image = self._image_record(context, instance, image_meta)
        guest = self.build_guest(context, instance, image, network_info,
                                 inst_dir)
        with self._errors(instance, 'define'):
            return self.conn.defineXML(guest.to_xml())

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, network_info, block_device_info=None):
        started = time.monotonic()
        plugging = starting = None
        try:
            dom = self._define(context, instance, image_meta, network_info)
            # The DHCP entry is a live network update (~0.4 s: libvirt
            # reloads dnsmasq) holding the network's lock, which starting
            # the guest needs too for its port. Starting first lets QEMU
            # run at once; the entry is written while QEMU initialises,
            # long before the guest's DHCP client asks (it retries anyway).
            starting = green.spawn(self._start_logged, dom, instance)
            green.sleep(_PLUG_DELAY)
            plugging = green.spawn(self.plug_vifs, instance, network_info)
            starting.wait()
            plugging.wait()
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.error('Spawning %s failed; cleaning up', instance.uuid)
                for pending in (starting, plugging):
                    if pending is not None:
                        # the entry must exist before it can go
                        with contextlib.suppress(Exception):
                            pending.wait()
                try:
                    self.destroy(context, instance, network_info)
                except Exception:
                    LOG.exception('Cleaning up the failed spawn of %s',
                                  instance.uuid)
        LOG.info('Spawned %s as %s in %.2f s', instance.uuid,
                 self.domain_name(instance), time.monotonic() - started)

    def destroy(self, context, instance, network_info, destroy_disks=True):
        macs = [vif.get('mac') for vif in network_info or []]
        try:
            dom = self._lookup(instance)
        except exception.InstanceNotFound:
            dom = None
        if dom is not None:
            with self._errors(instance, 'destroy'):
                with contextlib.suppress(libvirt.libvirtError):
                    macs += config.interface_macs(dom.XMLDesc(0))
                self._hard_stop(dom, instance)
                try:
                    dom.undefineFlags(
                        libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
                except libvirt.libvirtError as exc:
                    if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                        raise
        with self._errors(instance, 'removing the DHCP entry'):
            self.network.remove_hosts(self.conn, macs)
        if destroy_disks:
            shutil.rmtree(self.instance_dir(instance), ignore_errors=True)
        LOG.info('Destroyed %s', instance.uuid)

    def reboot(self, context, instance, network_info, reboot_type):
        try:
            dom = self._lookup(instance)
        except exception.InstanceNotFound:
            # Hard reboot is the repair action: a domain lost behind our
            # back is defined again from the instance (so is a soft one,
            # which would otherwise fall back to hard anyway).
            LOG.warning('%s has no domain; redefining it', instance.uuid)
            dom = None
        with self._errors(instance, '%s reboot' % reboot_type.lower()):
            if (dom is not None and reboot_type == 'SOFT' and
                    self._state(dom) == libvirt.VIR_DOMAIN_RUNNING):
                if self._soft_reboot(dom, instance):
                    return
                LOG.warning('%s did not shut down within %d s; hard '
                            'rebooting it', instance.uuid,
                            CONF.libvirt.wait_soft_reboot_seconds)
            self._hard_reboot(context, dom, instance, network_info)

    def _soft_reboot(self, dom, instance):
        """ACPI shutdown, then start again; False when the guest ignored
        the power button."""
        if not self._acpi_shutdown(dom, CONF.libvirt.wait_soft_reboot_seconds,
                                   CONF.libvirt.shutdown_retry_interval):
            return False
        self._start(dom, instance)
        LOG.info('Soft rebooted %s', instance.uuid)
        return True

    def _hard_reboot(self, context, dom, instance, network_info):
        """Stop the guest, write its definition again from the instance
        (current config, image fetched back into the cache if it was
        cleaned up, the disk kept) and start it."""
        if dom is not None:
            self._hard_stop(dom, instance)
            try:
                if dom.hasManagedSaveImage(0):
                    dom.managedSaveRemove(0)
            except libvirt.libvirtError as exc:
                # a transient domain (its definition lost) is gone now
                if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
        self.plug_vifs(instance, network_info)
        dom = self._define(context, instance, None, network_info)
        self._start(dom, instance)
        LOG.info('Hard rebooted %s', instance.uuid)

    def power_off(self, instance, timeout=0, retry_interval=0):
        dom = self._lookup(instance)
        with self._errors(instance, 'power off'):
            state = self._state(dom)
            if timeout and state == libvirt.VIR_DOMAIN_RUNNING:
                if self._acpi_shutdown(
                        dom, timeout,
                        retry_interval or
                        CONF.libvirt.shutdown_retry_interval):
                    LOG.info('%s shut down cleanly', instance.uuid)
                    return
                LOG.warning('%s did not shut down within %d s; destroying '
                            'it', instance.uuid, timeout)
            self._hard_stop(dom, instance)
            if dom.hasManagedSaveImage(0):
                # stopped, not suspended: the next start boots afresh
                dom.managedSaveRemove(0)

    def power_on(self, context, instance, network_info):
        dom = self._lookup(instance)
        with self._errors(instance, 'power on'):
            self.plug_vifs(instance, network_info)
            state = self._state(dom)
            if state == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            elif not dom.isActive():
                self._start(dom, instance)

    def pause(self, instance):
        dom = self._lookup(instance)
        with self._errors(instance, 'pause'):
            if self._state(dom) != libvirt.VIR_DOMAIN_PAUSED:
                dom.suspend()

    def unpause(self, instance):
        dom = self._lookup(instance)
        with self._errors(instance, 'unpause'):
            if self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            self._wait_for_state(dom, instance,
                                 (libvirt.VIR_DOMAIN_RUNNING,),
                                 _START_TIMEOUT)

    def suspend(self, context, instance):
        dom = self._lookup(instance)
        with self._errors(instance, 'suspend'):
            if dom.isActive():
                # restored running even when it was paused
                dom.managedSave(libvirt.VIR_DOMAIN_SAVE_RUNNING)

    def resume(self, context, instance, network_info):
        dom = self._lookup(instance)
        with self._errors(instance, 'resume'):
            self.plug_vifs(instance, network_info)
            if not dom.isActive():
                self._start(dom, instance)
            elif self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()

    def manage_image_cache(self, context, instances):
        """Remove cached base images none of ``instances`` (this host's)
        uses and that are older than ``[image]
        remove_unused_original_minimum_age_seconds``; a base an instance
        disk names as its backing file always stays.

        (Nova's ``manage_image_cache``; the compute manager's periodic
        task is the caller.) :returns: the image ids removed.
        """
        in_use = set()
        for instance in instances:
            in_use.update((instance.image_ref, instance.kernel_id,
                           instance.ramdisk_id))
        return self.image_cache.cleanup(in_use_ids=in_use)

    # -- consoles -------------------------------------------------------------

    def get_console_output(self, context, instance):
        """The end of the serial console log (at most ``[libvirt]
        console_log_max_bytes``). virtlogd writes it 0600 as root: when
        the compute cannot open it, the privileged helper reads it."""
        self._lookup(instance)
        path = os.path.abspath(os.path.join(self.instance_dir(instance),
                                            CONSOLE_LOG))
        limit = CONF.libvirt.console_log_max_bytes
        try:
            with open(path, 'rb') as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                data = f.read()
        except FileNotFoundError:
            return ''
        except PermissionError:
            data = self._read_console_log_privileged(instance, path, limit)
        return data.decode('utf-8', 'replace')

    @staticmethod
    def _read_console_log_privileged(instance, path, limit):
        try:
            return priv_console.read_console_log(path, limit)
        except FileNotFoundError:
            return b''
        except privsep.FAILURES as exc:
            raise exception.VirtDriverError(
                reason='cannot read the console log of %s through the '
                       'privileged helper: %s' % (instance.uuid, exc))

    def get_vnc_console(self, context, instance):
        dom = self._lookup(instance)
        with self._errors(instance, 'get_vnc_console'):
            port = config.vnc_port(dom.XMLDesc(0))
        if port is None:
            raise exception.ConsoleTypeUnavailable(console_type='novnc')
        return driver.VncConsole(CONF.vnc.server_proxyclient_address, port)

