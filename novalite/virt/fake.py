"""A hypervisor that lives in memory: first-class, fast, configurable.

``FakeDriver`` implements the whole
:class:`~novalite.virt.driver.ComputeDriver` contract on a dict of guests, reports the resources set in
``[fake_driver]`` and can be slowed down with ``spawn_delay`` /
``power_delay``. Hundreds of fake computes fit on one machine.

Guests vanish with the process; at start-up the compute hands back every
instance the database places on this host (:meth:`restore_instance_state`)
and the fake re-creates it, so the database is the truth after a restart.

Variants for failure tests: :class:`FakeSpawnFailDriver` (every spawn
fails), :class:`FakeRebootFailDriver` (reboots fail, the guest keeps
running), :class:`FakePowerOffFailDriver` (stop fails).
"""

import json
import threading

from oslo_log import log as logging

from novalite.compute import power_state
from novalite.compute import vm_states
from novalite import conf
from novalite import exception
from novalite import green
from novalite.virt import driver

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# vm_state a restored guest is in, when the row carries no power_state.
_POWER_FOR_VM_STATE = {
    vm_states.ACTIVE: power_state.RUNNING,
    vm_states.STOPPED: power_state.SHUTDOWN,
    vm_states.PAUSED: power_state.PAUSED,
    vm_states.SUSPENDED: power_state.SUSPENDED,
}


class FakeInstance:
    """One fake guest: its state and its VNC port."""

    def __init__(self, uuid, state, vnc_port, flavor=None):
        self.uuid = uuid
        self.state = state
        self.vnc_port = vnc_port
        self.vcpus = getattr(flavor, 'vcpus', 0) if flavor else 0
        self.console = []

    def log(self, line):
        self.console.append(line)


class FakeDriver(driver.ComputeDriver):
    """An in-memory hypervisor."""

    def __init__(self, virtapi=None):
        super().__init__(virtapi)
        self.instances = {}
        self._lock = threading.Lock()
        self._next_port = CONF.fake_driver.vnc_port_base
        self.host = CONF.host

    # -- helpers -------------------------------------------------------------

    def _get(self, instance):
        try:
            return self.instances[instance.uuid]
        except KeyError:
            raise exception.InstanceNotFound(instance_id=instance.uuid)

    def _delay(self, seconds):
        if seconds:
            green.sleep(seconds)

    def _set_state(self, instance, state, transition=None):
        guest = self._get(instance)
        guest.state = state
        guest.log('state %s' % power_state.STATE_MAP.get(state, state))
        if transition is not None:
            self.emit_event(driver.LifecycleEvent(instance.uuid, transition))

    def _alloc_port(self):
        with self._lock:
            used = {g.vnc_port for g in self.instances.values()}
            port = self._next_port
            while port in used:
                port += 1
            self._next_port = port + 1
            return port

    # -- host -----------------------------------------------------------------

    def init_host(self, host):
        self.host = host

    def get_available_nodes(self):
        return [self.host]

    def get_available_resource(self, nodename):
        opts = CONF.fake_driver
        return {
            'vcpus': opts.vcpus,
            'memory_mb': opts.memory_mb,
            'local_gb': opts.local_gb,
            'vcpus_used': 0,
            'memory_mb_used': 0,
            'local_gb_used': 0,
            'hypervisor_type': 'fake',
            'hypervisor_version': 1000,
            'hypervisor_hostname': nodename,
            'cpu_info': json.dumps({'arch': 'x86_64', 'model': 'fake',
                                    'vendor': 'novalite',
                                    'topology': {'sockets': 1,
                                                 'cores': opts.vcpus,
                                                 'threads': 1}}),
            'supported_instances': json.dumps([['x86_64', 'fake', 'hvm'],
                                               ['i686', 'fake', 'hvm']]),
        }

    # -- queries --------------------------------------------------------------

    def list_instance_uuids(self):
        return list(self.instances)

    def instance_exists(self, instance):
        return instance.uuid in self.instances

    def get_info(self, instance):
        return driver.InstanceInfo(state=self._get(instance).state)

    def restore_instance_state(self, context, instance):
        state = instance.power_state
        if state in (None, power_state.NOSTATE):
            state = _POWER_FOR_VM_STATE.get(instance.vm_state,
                                            power_state.SHUTDOWN)
        with self._lock:
            if instance.uuid in self.instances:
                return True
        guest = FakeInstance(instance.uuid, state, self._alloc_port(),
                             instance.flavor)
        guest.log('restored after a compute restart')
        with self._lock:
            self.instances.setdefault(instance.uuid, guest)
        return True

    # -- lifecycle ------------------------------------------------------------

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, network_info, block_device_info=None):
        self._delay(CONF.fake_driver.spawn_delay)
        guest = FakeInstance(instance.uuid, power_state.RUNNING,
                             self._alloc_port(), instance.flavor)
        guest.log('novalite fake guest %s booting' % instance.uuid)
        for vif in network_info or []:
            guest.log('eth0: %s (%s)' % (vif.get('address'),
                                         vif.get('mac')))
        guest.log('login:')
        with self._lock:
            self.instances[instance.uuid] = guest
        self.emit_event(driver.LifecycleEvent(
            instance.uuid, driver.EVENT_LIFECYCLE_STARTED))

    def destroy(self, context, instance, network_info, destroy_disks=True):
        self._delay(CONF.fake_driver.power_delay)
        with self._lock:
            self.instances.pop(instance.uuid, None)

    def reboot(self, context, instance, network_info, reboot_type):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.RUNNING)
        self._get(instance).log('rebooted (%s)' % reboot_type)

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.SHUTDOWN,
                        driver.EVENT_LIFECYCLE_STOPPED)

    def power_on(self, context, instance, network_info):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.RUNNING,
                        driver.EVENT_LIFECYCLE_STARTED)

    def pause(self, instance):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.PAUSED,
                        driver.EVENT_LIFECYCLE_PAUSED)

    def unpause(self, instance):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.RUNNING,
                        driver.EVENT_LIFECYCLE_RESUMED)

    def suspend(self, context, instance):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.SUSPENDED,
                        driver.EVENT_LIFECYCLE_SUSPENDED)

    def resume(self, context, instance, network_info):
        self._get(instance)
        self._delay(CONF.fake_driver.power_delay)
        self._set_state(instance, power_state.RUNNING,
                        driver.EVENT_LIFECYCLE_RESUMED)

    # -- consoles -------------------------------------------------------------

    def get_console_output(self, context, instance):
        return '\n'.join(self._get(instance).console) + '\n'

    def get_vnc_console(self, context, instance):
        guest = self._get(instance)
        return driver.VncConsole(CONF.vnc.server_proxyclient_address,
                                 guest.vnc_port)


class FakeSpawnFailDriver(FakeDriver):
    """Every spawn fails after the hypervisor has been asked."""

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, network_info, block_device_info=None):
        self._delay(CONF.fake_driver.spawn_delay)
        raise exception.VirtDriverError(
            reason='fake spawn failure on %s' % self.host)


class FakeRebootFailDriver(FakeDriver):
    """Every reboot fails; the guest keeps running."""

    def reboot(self, context, instance, network_info, reboot_type):
        self._get(instance)
        raise exception.VirtDriverError(
            reason='fake %s reboot failure on %s' % (reboot_type, self.host))


class FakePowerOffFailDriver(FakeDriver):
    """Every power_off fails; the guest keeps running."""

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._get(instance)
        raise exception.VirtDriverError(
            reason='fake power-off failure on %s' % self.host)
