"""LibvirtDriver against a mocked libvirt connection: power-state
mapping, guest building, error translation, consoles, power off and
reboot fallbacks, the virt_type check."""

import os
import types
import uuid
import xml.etree.ElementTree as ET
from unittest import mock

import libvirt
import pytest

from novalite.compute import power_state
from novalite import exception
from novalite.virt import driver as virt_driver
from novalite.virt.libvirt import driver as lv_driver

LV = libvirt


def _error(code):
    exc = libvirt.libvirtError('error %d' % code)
    exc.err = (code, 0, 'error %d' % code, 0, '', None, None, 0, 0)
    return exc


def _instance(**kwargs):
    values = dict(uuid=str(uuid.uuid4()), id=42, root_gb=1, kernel_id='',
                  ramdisk_id='', image_ref='img', memory_mb=96, vcpus=1,
                  display_name='vm-1', hostname='vm-1',
                  flavor=types.SimpleNamespace(name='m1.tiny'))
    values.update(kwargs)
    return types.SimpleNamespace(**values)


@pytest.fixture
def drv(overrides, tmp_path):
    overrides(instances_path=str(tmp_path), host='cn1')
    overrides(group='libvirt', virt_type='qemu')
    overrides(group='network', fixed_range='10.9.8.0/24',
              network_name='nlnet', bridge='nlbr9')
    driver = lv_driver.LibvirtDriver()
    conn = mock.Mock(name='conn')
    driver._host.get_connection = lambda: conn
    driver.conn_mock = conn
    return driver


def _dom(state=LV.VIR_DOMAIN_RUNNING, saved=False, xml='<domain/>'):
    dom = mock.Mock(name='dom')
    dom.state.return_value = [state, 0]
    dom.hasManagedSaveImage.return_value = int(saved)
    dom.XMLDesc.return_value = xml
    return dom


@pytest.mark.parametrize('lv_state,saved,expected', [
    (LV.VIR_DOMAIN_NOSTATE, False, power_state.NOSTATE),
    (LV.VIR_DOMAIN_RUNNING, False, power_state.RUNNING),
    (LV.VIR_DOMAIN_BLOCKED, False, power_state.RUNNING),
    (LV.VIR_DOMAIN_PAUSED, False, power_state.PAUSED),
    (LV.VIR_DOMAIN_SHUTDOWN, False, power_state.SHUTDOWN),
    (LV.VIR_DOMAIN_SHUTOFF, False, power_state.SHUTDOWN),
    (LV.VIR_DOMAIN_SHUTOFF, True, power_state.SUSPENDED),
    (LV.VIR_DOMAIN_CRASHED, False, power_state.CRASHED),
    (LV.VIR_DOMAIN_PMSUSPENDED, False, power_state.SUSPENDED),
    (99, False, power_state.NOSTATE),
])
def test_power_state_mapping(lv_state, saved, expected):
    assert lv_driver.power_state_of(lv_state, saved) == expected


def test_get_info_reports_a_managed_save_as_suspended(drv):
    drv.conn_mock.lookupByUUIDString.return_value = _dom(
        LV.VIR_DOMAIN_SHUTOFF, saved=True)
    assert drv.get_info(_instance()) == virt_driver.InstanceInfo(
        power_state.SUSPENDED)


def test_unknown_domain_is_instance_not_found(drv):
    drv.conn_mock.lookupByUUIDString.side_effect = _error(
        LV.VIR_ERR_NO_DOMAIN)
    inst = _instance()
    with pytest.raises(exception.InstanceNotFound):
        drv.get_info(inst)
    assert drv.instance_exists(inst) is False
    with pytest.raises(exception.InstanceNotFound):
        drv.pause(inst)


def test_other_libvirt_errors_are_virt_driver_errors(drv):
    dom = _dom()
    dom.suspend.side_effect = _error(LV.VIR_ERR_OPERATION_FAILED)
    drv.conn_mock.lookupByUUIDString.return_value = dom
    with pytest.raises(exception.VirtDriverError):
        drv.pause(_instance())


def test_vnc_console_port_from_the_live_xml(drv, overrides):
    overrides(group='vnc', server_proxyclient_address='192.0.2.9')
    drv.conn_mock.lookupByUUIDString.return_value = _dom(
        xml="<domain><devices><graphics type='vnc' port='5907'/></devices>"
            "</domain>")
    assert drv.get_vnc_console(None, _instance()) == ('192.0.2.9', 5907)


def test_no_vnc_port_is_console_type_unavailable(drv):
    drv.conn_mock.lookupByUUIDString.return_value = _dom(
        xml="<domain><devices><graphics type='vnc' port='-1'/></devices>"
            "</domain>")
    with pytest.raises(exception.ConsoleTypeUnavailable):
        drv.get_vnc_console(None, _instance())


def test_console_output_is_the_tail_of_the_serial_log(drv, overrides):
    overrides(group='libvirt', console_log_max_bytes=1024)
    inst = _instance()
    drv.conn_mock.lookupByUUIDString.return_value = _dom()
    os.makedirs(drv.instance_dir(inst))
    with open(os.path.join(drv.instance_dir(inst), 'console.log'),
              'wb') as f:
        f.write(b'x' * 5000 + b'\nnovalite tiny guest: hostname=vm-1\n')
    out = drv.get_console_output(None, inst)
    assert len(out.encode()) == 1024
    assert out.endswith('hostname=vm-1\n')


def test_console_output_before_any_output_is_empty(drv):
    drv.conn_mock.lookupByUUIDString.return_value = _dom()
    assert drv.get_console_output(None, _instance()) == ''


def test_a_log_the_compute_cannot_open_is_read_by_the_helper(
        drv, monkeypatch):
    """virtlogd writes the log 0600 as root: a compute running as
    novalite reads it through the privileged helper."""
    def denied(path, mode='r'):
        raise PermissionError(13, 'Permission denied', path)
    inst = _instance()
    drv.conn_mock.lookupByUUIDString.return_value = _dom()
    helper = mock.Mock(return_value=b'login:')
    monkeypatch.setattr(lv_driver, 'open', denied, raising=False)
    monkeypatch.setattr(lv_driver.priv_console, 'read_console_log', helper)
    assert drv.get_console_output(None, inst) == 'login:'
    path = os.path.join(drv.instance_dir(inst), 'console.log')
    helper.assert_called_once_with(os.path.abspath(path), 100 * 1024)
    helper.side_effect = ValueError('not below instances_path')
    with pytest.raises(exception.VirtDriverError):
        drv.get_console_output(None, inst)


def _cache(tmp_path):
    cache = mock.Mock()
    cache.fetch.side_effect = lambda ctxt, image_id, image=None: str(
        tmp_path / '_base' / image_id)
    return cache


def test_build_guest_direct_kernel_boot_for_an_ami(drv, tmp_path,
                                                   overrides):
    overrides(group='libvirt', domain_name_template='nl-%08x')
    drv._cache = _cache(tmp_path)
    inst = _instance(kernel_id='k-1', ramdisk_id='r-1')
    image = {'id': 'ami-1', 'disk_format': 'ami', 'properties': {}}
    with mock.patch.object(lv_driver.image_cache,
                           'create_overlay') as overlay:
        guest = drv.build_guest(None, inst, image,
                                [{'mac': 'fa:16:3e:00:00:09',
                                  'address': '10.9.8.9'}],
                                drv.instance_dir(inst))
    overlay.assert_called_once_with(str(tmp_path / '_base' / 'ami-1'),
                                    os.path.join(drv.instance_dir(inst),
                                                 'disk'), 1, 'ami')
    root = ET.fromstring(guest.to_xml())
    assert root.findtext('name') == 'nl-0000002a'
    assert root.get('type') == 'qemu'
    assert root.findtext('./os/kernel') == str(tmp_path / '_base' / 'k-1')
    assert root.findtext('./os/initrd') == str(tmp_path / '_base' / 'r-1')
    assert root.findtext('./os/cmdline') == lv_driver.DEFAULT_CMDLINE
    nic = root.find('./devices/interface')
    assert nic.find('source').get('network') == 'nlnet'
    assert nic.find('mac').get('address') == 'fa:16:3e:00:00:09'
    assert root.find('./devices/serial/log').get('file') == os.path.join(
        drv.instance_dir(inst), 'console.log')


def test_build_guest_kvm_and_disk_boot(drv, tmp_path, overrides):
    overrides(group='libvirt', virt_type='kvm')
    drv._cache = _cache(tmp_path)
    inst = _instance()
    image = {'id': 'q-1', 'disk_format': 'qcow2',
             'properties': {'os_command_line': 'ignored without kernel'}}
    with mock.patch.object(lv_driver.image_cache, 'create_overlay'):
        root = ET.fromstring(drv.build_guest(
            None, inst, image, [], drv.instance_dir(inst)).to_xml())
    assert root.get('type') == 'kvm'
    assert root.find('./features/tcg') is None
    assert root.find('cpu').get('mode') == 'host-model'
    assert root.find('./os/kernel') is None
    assert root.find('./os/boot').get('dev') == 'hd'


def test_power_off_waits_for_a_clean_shutdown(drv, monkeypatch):
    monkeypatch.setattr(lv_driver.green, 'sleep', lambda s: None)
    dom = _dom()
    dom.isActive.side_effect = [True, True, True, False]
    drv.conn_mock.lookupByUUIDString.return_value = dom
    drv.power_off(_instance(), timeout=30)
    dom.shutdown.assert_called_once_with()
    dom.destroy.assert_not_called()


def test_power_off_destroys_a_guest_that_ignores_acpi(drv, monkeypatch):
    clock = iter(range(0, 1000, 5))
    monkeypatch.setattr(lv_driver.time, 'monotonic', lambda: next(clock))
    monkeypatch.setattr(lv_driver.green, 'sleep', lambda s: None)
    dom = _dom()
    dom.isActive.return_value = True
    drv.conn_mock.lookupByUUIDString.return_value = dom
    drv.power_off(_instance(), timeout=30, retry_interval=10)
    assert dom.shutdown.call_count >= 2      # pressed again
    dom.destroy.assert_called_once_with()


def test_power_off_without_timeout_pulls_the_plug(drv):
    dom = _dom(saved=False)
    dom.isActive.return_value = True
    drv.conn_mock.lookupByUUIDString.return_value = dom
    drv.power_off(_instance(), timeout=0)
    dom.shutdown.assert_not_called()
    dom.destroy.assert_called_once_with()


def test_soft_reboot_falls_back_to_hard(drv, monkeypatch, overrides,
                                       tmp_path):
    overrides(group='libvirt', wait_soft_reboot_seconds=5)
    clock = iter(range(0, 1000, 1))
    monkeypatch.setattr(lv_driver.time, 'monotonic', lambda: next(clock))
    monkeypatch.setattr(lv_driver.green, 'sleep', lambda s: None)
    _spawn_ready(drv, tmp_path, monkeypatch)
    dom = _dom()
    active = {'value': True}
    dom.isActive.side_effect = lambda: active['value']
    dom.destroy.side_effect = lambda: active.update(value=False)
    drv.conn_mock.lookupByUUIDString.return_value = dom
    drv.conn_mock.defineXML.return_value = dom
    drv.reboot(None, _instance(), [{'mac': 'm', 'address': 'a'}], 'SOFT')
    dom.shutdown.assert_called()
    dom.destroy.assert_called_once_with()
    dom.createWithFlags.assert_called_once_with(0)
    drv.network.add_host.assert_called_once_with(drv.conn_mock, 'm', 'a',
                                                 'vm-1')


def test_hard_reboot_writes_the_definition_again(drv, monkeypatch,
                                                 tmp_path):
    _spawn_ready(drv, tmp_path, monkeypatch)
    old = _dom(saved=True)
    old.isActive.return_value = False
    new = _dom()                       # running once started
    drv.conn_mock.lookupByUUIDString.return_value = old
    drv.conn_mock.defineXML.return_value = new
    inst = _instance()
    drv.reboot(None, inst, [{'mac': 'fa:16:3e:00:00:0a',
                             'address': '10.9.8.10'}], 'HARD')
    old.managedSaveRemove.assert_called_once_with(0)
    (xml,), _kw = drv.conn_mock.defineXML.call_args
    root = ET.fromstring(xml)
    assert root.findtext('uuid') == inst.uuid
    assert root.find('./devices/interface/mac').get(
        'address') == 'fa:16:3e:00:00:0a'
    new.createWithFlags.assert_called_once_with(0)


def test_reboot_of_a_lost_domain_defines_it_again(drv, monkeypatch,
                                                  tmp_path):
    _spawn_ready(drv, tmp_path, monkeypatch)
    drv.conn_mock.lookupByUUIDString.side_effect = _error(
        LV.VIR_ERR_NO_DOMAIN)
    new = _dom()                       # running once started
    drv.conn_mock.defineXML.return_value = new
    drv.reboot(None, _instance(), [], 'SOFT')
    drv.conn_mock.defineXML.assert_called_once()
    new.createWithFlags.assert_called_once_with(0)


def test_destroy_removes_domain_dhcp_entries_and_directory(drv):
    inst = _instance()
    os.makedirs(drv.instance_dir(inst))
    dom = _dom(xml="<domain><devices><interface type='network'>"
                   "<mac address='fa:16:3e:00:00:07'/></interface>"
                   "</devices></domain>")
    dom.isActive.return_value = False
    drv.conn_mock.lookupByUUIDString.return_value = dom
    drv.network = mock.Mock()
    drv.destroy(None, inst, None)
    dom.undefineFlags.assert_called_once_with(
        LV.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    drv.network.remove_hosts.assert_called_once_with(
        drv.conn_mock, ['fa:16:3e:00:00:07'])
    assert not os.path.exists(drv.instance_dir(inst))


def test_destroy_of_an_unknown_guest_succeeds(drv):
    drv.conn_mock.lookupByUUIDString.side_effect = _error(
        LV.VIR_ERR_NO_DOMAIN)
    drv.network = mock.Mock()
    drv.destroy(None, _instance(), [{'mac': 'fa:16:3e:00:00:08'}])
    drv.network.remove_hosts.assert_called_once_with(
        drv.conn_mock, ['fa:16:3e:00:00:08'])


def test_list_instance_uuids_only_lists_this_hosts_guests(drv):
    def dom(uuid, host):
        d = mock.Mock()
        d.UUIDString.return_value = uuid
        if host is None:
            d.metadata.side_effect = _error(LV.VIR_ERR_NO_DOMAIN_METADATA)
        else:
            d.metadata.return_value = (
                '<instance><host>%s</host></instance>' % host)
        return d
    drv.conn_mock.listAllDomains.return_value = [
        dom('u1', 'cn1'), dom('u2', 'other'), dom('u3', None)]
    assert drv.list_instance_uuids() == ['u1']


def test_kvm_unusable_without_vmx_or_svm(tmp_path):
    dev = tmp_path / 'kvm'
    cpuinfo = tmp_path / 'cpuinfo'
    assert 'does not exist' in lv_driver.kvm_unusable_reason(
        str(cpuinfo), str(dev))
    dev.write_text('')
    cpuinfo.write_text('flags\t\t: fpu sse2 hypervisor\n')
    assert 'no vmx/svm' in lv_driver.kvm_unusable_reason(str(cpuinfo),
                                                         str(dev))
    cpuinfo.write_text('flags\t\t: fpu vmx sse2\n')
    assert lv_driver.kvm_unusable_reason(str(cpuinfo), str(dev)) is None


def test_init_host_refuses_kvm_where_it_cannot_work(drv, overrides,
                                                    monkeypatch):
    overrides(group='libvirt', virt_type='kvm')
    monkeypatch.setattr(lv_driver, 'kvm_unusable_reason',
                        lambda: 'the CPU shows no vmx/svm flag')
    drv.network = mock.Mock()
    with pytest.raises(exception.ConfigError) as err:
        drv.init_host('cn1')
    assert '[libvirt] virt_type' in err.value.format_message()
    assert 'virt_type = qemu' in err.value.format_message()
    drv.network.ensure.assert_not_called()


def test_init_host_sets_up_network_and_metadata_redirect(drv, overrides,
                                                         monkeypatch):
    overrides(metadata_listen_port=8775)
    drv.network = mock.Mock(bridge='nlbr9', gateway='10.9.8.1')
    redirect = mock.Mock()
    monkeypatch.setattr(lv_driver.linux_net, 'ensure_metadata_redirect',
                        redirect)
    drv.init_host('cn1')
    drv.network.ensure.assert_called_once_with(drv.conn_mock, create=True)
    redirect.assert_called_once_with('nlbr9', '10.9.8.1', 8775)


def _spawn_ready(drv, tmp_path, monkeypatch):
    drv._cache = _cache(tmp_path)
    drv._cache.image_api.get.return_value = {
        'id': 'ami-1', 'disk_format': 'ami', 'properties': {}}
    monkeypatch.setattr(lv_driver.image_cache, 'create_overlay',
                        mock.Mock())
    drv.network = mock.Mock()
    dom = _dom()
    drv.conn_mock.defineXML.return_value = dom
    return dom


def test_spawn_defines_starts_and_adds_the_dhcp_entry(drv, tmp_path,
                                                       monkeypatch):
    dom = _spawn_ready(drv, tmp_path, monkeypatch)
    inst = _instance()
    vifs = [{'mac': 'fa:16:3e:00:00:05', 'address': '10.9.8.5'}]
    drv.spawn(None, inst, {'id': 'ami-1'}, None, None, vifs)
    xml = drv.conn_mock.defineXML.call_args[0][0]
    assert ET.fromstring(xml).findtext('uuid') == inst.uuid
    dom.createWithFlags.assert_called_once_with(0)
    drv.network.add_host.assert_called_once_with(
        drv.conn_mock, 'fa:16:3e:00:00:05', '10.9.8.5', 'vm-1')
    assert os.stat(drv.instance_dir(inst)).st_mode & 0o777 == 0o755


def test_failed_spawn_leaves_nothing_behind(drv, tmp_path, monkeypatch):
    dom = _spawn_ready(drv, tmp_path, monkeypatch)
    dom.createWithFlags.side_effect = _error(LV.VIR_ERR_INTERNAL_ERROR)
    drv.conn_mock.lookupByUUIDString.return_value = dom
    dom.isActive.return_value = False
    inst = _instance()
    vifs = [{'mac': 'fa:16:3e:00:00:05', 'address': '10.9.8.5'}]
    with pytest.raises(exception.VirtDriverError):
        drv.spawn(None, inst, {'id': 'ami-1'}, None, None, vifs)
    dom.undefineFlags.assert_called_once_with(
        LV.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    drv.network.remove_hosts.assert_called_once_with(
        drv.conn_mock, ['fa:16:3e:00:00:05'])
    assert not os.path.exists(drv.instance_dir(inst))


def test_a_metadata_redirect_failure_does_not_stop_the_compute(
        drv, monkeypatch):
    from oslo_concurrency import processutils
    drv.network = mock.Mock(bridge='nlbr9', gateway='10.9.8.1')
    monkeypatch.setattr(
        lv_driver.linux_net, 'ensure_metadata_redirect',
        mock.Mock(side_effect=processutils.ProcessExecutionError(
            stderr='Permission denied (you must be root)')))
    drv.init_host('cn1')
    drv.network.ensure.assert_called_once_with(drv.conn_mock, create=True)


def test_the_driver_does_not_import_the_database_layer():
    """Hard rule: virt/ never imports novalite.db (fresh interpreter)."""
    import subprocess
    import sys
    code = ('import sys, novalite.virt.libvirt.driver, '
            'novalite.virt.libvirt.host, novalite.virt.libvirt.config; '
            'print(sorted(m for m in sys.modules '
            'if m.startswith("novalite.db")))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'


def test_manage_image_cache_keeps_what_this_hosts_instances_use(drv):
    drv._cache = mock.Mock()
    drv._cache.cleanup.return_value = ['old']
    instances = [_instance(image_ref='ami', kernel_id='k', ramdisk_id='r'),
                 _instance(image_ref='q', kernel_id='', ramdisk_id='')]
    assert drv.manage_image_cache(None, instances) == ['old']
    in_use = drv._cache.cleanup.call_args.kwargs['in_use_ids']
    assert {'ami', 'k', 'r', 'q'} <= set(in_use)
