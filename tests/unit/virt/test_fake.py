"""The fake driver keeps the ComputeDriver contract; loading drivers."""

from unittest import mock

import pytest

from novalite.compute import power_state as ps
from novalite import exception
from novalite import objects
from novalite.virt import driver
from novalite.virt import fake


def _inst(uuid='11111111-1111-1111-1111-111111111111', **kw):
    objects.register_all()
    return objects.Instance(uuid=uuid, flavor=None, **kw)


def test_lifecycle_and_contract(flags):
    flags(group='fake_driver', vcpus=8, memory_mb=4096, local_gb=20)
    drv = fake.FakeDriver()
    events = []
    drv.register_event_listener(events.append)
    res = drv.get_available_resource('cn1')
    assert (res['vcpus'], res['memory_mb'], res['local_gb']) == (8, 4096, 20)
    assert res['hypervisor_type'] == 'fake'
    inst = _inst()
    with pytest.raises(exception.InstanceNotFound):
        drv.get_info(inst)
    drv.spawn(None, inst, {}, None, None, [{'address': '10.0.0.5',
                                            'mac': 'fa:16:3e:00:00:01'}])
    assert drv.list_instance_uuids() == [inst.uuid]
    assert drv.get_info(inst).state == ps.RUNNING
    for call, state in ((lambda: drv.power_off(inst, 0), ps.SHUTDOWN),
                        (lambda: drv.power_on(None, inst, []), ps.RUNNING),
                        (lambda: drv.pause(inst), ps.PAUSED),
                        (lambda: drv.unpause(inst), ps.RUNNING),
                        (lambda: drv.suspend(None, inst), ps.SUSPENDED),
                        (lambda: drv.resume(None, inst, []), ps.RUNNING),
                        (lambda: drv.reboot(None, inst, [], 'HARD'),
                         ps.RUNNING)):
        call()
        assert drv.get_info(inst).state == state
    assert [e.transition for e in events] == [
        driver.EVENT_LIFECYCLE_STARTED, driver.EVENT_LIFECYCLE_STOPPED,
        driver.EVENT_LIFECYCLE_STARTED, driver.EVENT_LIFECYCLE_PAUSED,
        driver.EVENT_LIFECYCLE_RESUMED, driver.EVENT_LIFECYCLE_SUSPENDED,
        driver.EVENT_LIFECYCLE_RESUMED]
    host, port = drv.get_vnc_console(None, inst)
    assert port >= 5900
    assert '10.0.0.5' in drv.get_console_output(None, inst)
    drv.destroy(None, inst, None)
    drv.destroy(None, inst, None)  # destroying a missing guest succeeds
    assert not drv.instance_exists(inst)


def test_vnc_ports_are_unique():
    drv = fake.FakeDriver()
    ports = set()
    for i in range(5):
        inst = _inst('0000000%d-1111-1111-1111-111111111111' % i)
        drv.spawn(None, inst, {}, None, None, [])
        ports.add(drv.get_vnc_console(None, inst).port)
    assert len(ports) == 5


def test_restore_recreates_guests_in_their_recorded_state():
    drv = fake.FakeDriver()
    paused = _inst(power_state=ps.PAUSED, vm_state='paused')
    assert drv.restore_instance_state(None, paused)
    assert drv.get_info(paused).state == ps.PAUSED
    stopped = _inst('22222222-1111-1111-1111-111111111111',
                    power_state=None, vm_state='stopped')
    drv.restore_instance_state(None, stopped)
    assert drv.get_info(stopped).state == ps.SHUTDOWN
    assert not driver.ComputeDriver().restore_instance_state(None, paused)


def test_failing_variants():
    inst = _inst()
    with pytest.raises(exception.VirtDriverError):
        fake.FakeSpawnFailDriver().spawn(None, inst, {}, None, None, [])
    drv = fake.FakeRebootFailDriver()
    drv.spawn(None, inst, {}, None, None, [])
    with pytest.raises(exception.VirtDriverError):
        drv.reboot(None, inst, [], 'SOFT')
    assert drv.get_info(inst).state == ps.RUNNING
    drv = fake.FakePowerOffFailDriver()
    drv.spawn(None, inst, {}, None, None, [])
    with pytest.raises(exception.VirtDriverError):
        drv.power_off(inst)


def test_delays_sleep_green(flags):
    flags(group='fake_driver', spawn_delay=2.5, power_delay=1.5)
    with mock.patch('novalite.green.sleep') as sleep:
        drv = fake.FakeDriver()
        inst = _inst()
        drv.spawn(None, inst, {}, None, None, [])
        drv.power_off(inst)
    assert [c.args[0] for c in sleep.call_args_list] == [2.5, 1.5]


def test_load_driver(flags):
    flags(compute_driver='fake.FakeDriver')
    assert isinstance(driver.load_compute_driver(), fake.FakeDriver)
    assert isinstance(driver.load_compute_driver(
        compute_driver='fake.FakeSpawnFailDriver'), fake.FakeSpawnFailDriver)
    for bad in ('nope.Driver', 'fake.NoSuchDriver', 'fake.FakeInstance'):
        with pytest.raises(exception.ConfigError) as err:
            driver.load_compute_driver(compute_driver=bad)
        assert '[DEFAULT] compute_driver' in err.value.format_message()


def test_virt_never_imports_the_db_layer():
    import pathlib
    import re
    pattern = re.compile(r'^\s*(from novalite(\.db\b| import db\b)|'
                         r'import novalite\.db\b)', re.M)
    root = pathlib.Path(driver.__file__).parent
    for path in root.rglob('*.py'):
        assert not pattern.search(path.read_text()), path
