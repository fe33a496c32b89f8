"""Domain XML rendered by the config model, for qemu (TCG) and kvm."""

import xml.etree.ElementTree as ET

import pytest

from novalite.virt.libvirt import config

UUID = '6f1e3d52-33c0-4a57-9d43-1e3b0f1f2a10'


def _guest(virt_type='qemu', kernel='/b/kernel', **kwargs):
    guest = config.Guest(
        virt_type, 'instance-0000002a', UUID, 96, 2, kernel=kernel,
        initrd='/b/ramdisk' if kernel else None,
        cmdline='root=/dev/vda console=tty0 console=ttyS0' if kernel
        else None, metadata=config.GuestMetadata(UUID, 'vm-1', 'cn1',
                                                 'm1.tiny'), **kwargs)
    guest.add_device(config.GuestDisk('/i/%s/disk' % UUID))
    guest.add_device(config.GuestInterface('novalite', 'fa:16:3e:01:02:03'))
    guest.add_device(config.GuestSerialConsole('/i/%s/console.log' % UUID))
    guest.add_device(config.GuestConsole())
    guest.add_device(config.GuestVnc('192.0.2.5'))
    return guest


def _render(guest):
    return ET.fromstring(guest.to_xml())


def test_qemu_guest_with_direct_kernel_boot():
    root = _render(_guest(tb_cache_mb=16))
    assert root.tag == 'domain' and root.get('type') == 'qemu'
    assert root.findtext('name') == 'instance-0000002a'
    assert root.findtext('uuid') == UUID
    assert root.find('memory').attrib == {'unit': 'MiB'}
    assert root.findtext('memory') == '96'
    assert root.findtext('vcpu') == '2'
    os_elem = root.find('os')
    assert os_elem.find('type').attrib == {'arch': 'x86_64',
                                           'machine': 'pc'}
    assert os_elem.findtext('type') == 'hvm'
    assert os_elem.findtext('kernel') == '/b/kernel'
    assert os_elem.findtext('initrd') == '/b/ramdisk'
    assert 'console=ttyS0' in os_elem.findtext('cmdline')
    assert os_elem.find('boot') is None
    tb = root.find('./features/tcg/tb-cache')
    assert (tb.get('unit'), tb.text) == ('MiB', '16')
    assert root.find('./features/acpi') is not None
    assert root.find('cpu') is None
    assert root.findtext('on_poweroff') == 'destroy'


def test_devices():
    devices = _render(_guest()).find('devices')
    disk = devices.find('disk')
    assert disk.attrib == {'type': 'file', 'device': 'disk'}
    assert disk.find('driver').attrib == {'name': 'qemu', 'type': 'qcow2'}
    assert disk.find('source').get('file') == '/i/%s/disk' % UUID
    assert disk.find('target').attrib == {'dev': 'vda', 'bus': 'virtio'}
    nic = devices.find('interface')
    assert nic.get('type') == 'network'
    assert nic.find('source').get('network') == 'novalite'
    assert nic.find('mac').get('address') == 'fa:16:3e:01:02:03'
    assert nic.find('model').get('type') == 'virtio'
    serial = devices.find('serial')
    assert serial.get('type') == 'pty'
    assert serial.find('log').attrib == {
        'file': '/i/%s/console.log' % UUID, 'append': 'on'}
    assert serial.find('target').get('port') == '0'
    assert devices.find('console/target').attrib == {'type': 'serial',
                                                     'port': '0'}
    assert devices.find('graphics').attrib == {
        'type': 'vnc', 'autoport': 'yes', 'listen': '192.0.2.5'}
    assert devices.find('memballoon').get('model') == 'none'


def test_kvm_guest_has_no_tcg_and_a_host_cpu_model():
    root = _render(_guest('kvm', tb_cache_mb=16, cpu_mode='host-model'))
    assert root.get('type') == 'kvm'
    assert root.find('./features/tcg') is None
    assert root.find('cpu').get('mode') == 'host-model'


def test_disk_boot_when_no_kernel():
    root = _render(_guest(kernel=None))
    assert root.find('./os/kernel') is None
    assert root.find('./os/cmdline') is None
    assert root.find('./os/boot').get('dev') == 'hd'


def test_tb_cache_zero_keeps_qemu_default():
    assert _render(_guest(tb_cache_mb=0)).find('./features/tcg') is None


def test_unknown_virt_type_is_refused():
    with pytest.raises(ValueError):
        config.Guest('xen', 'n', UUID, 64, 1)


def test_metadata_renders_with_our_prefix_and_reads_back():
    xml = _guest().to_xml()
    assert '<novalite:instance xmlns:novalite="%s">' % config.NOVALITE_NS \
        in xml
    assert config.novalite_metadata(xml) == {
        'uuid': UUID, 'name': 'vm-1', 'host': 'cn1', 'flavor': 'm1.tiny'}
    # virDomainGetMetadata answers the bare element
    assert config.novalite_metadata(
        '<instance><host>cn2</host></instance>') == {'host': 'cn2'}
    assert config.novalite_metadata('<domain><name>x</name></domain>') == {}


LIVE = """<domain type='qemu' id='7'>
  <devices>
    <interface type='network'><mac address='fa:16:3e:aa:bb:cc'/></interface>
    <interface type='network'><mac address='fa:16:3e:aa:bb:cd'/></interface>
    <serial type='pty'><source path='/dev/pts/4'/><target port='0'/></serial>
    <graphics type='spice' port='5930'/>
    <graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>"""


def test_readers_of_live_xml():
    assert config.vnc_port(LIVE) == 5901
    assert config.interface_macs(LIVE) == ['fa:16:3e:aa:bb:cc',
                                           'fa:16:3e:aa:bb:cd']
    assert config.serial_pty(LIVE) == '/dev/pts/4'


def test_vnc_port_of_a_stopped_domain_is_none():
    assert config.vnc_port(LIVE.replace("port='5901'", "port='-1'")) is None
    assert config.vnc_port('<domain><devices/></domain>') is None
