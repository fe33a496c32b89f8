"""A small model of libvirt domain XML, rendered with ElementTree.

Each class holds the facts of one part of a guest and builds its element
in ``format_dom()``; :class:`Guest` assembles them and :meth:`Guest.to_xml`
gives the document handed to ``virDomainDefineXML``. Nothing here talks to
libvirt, so the whole rendering is unit-tested.

The readers at the bottom pull what the driver needs back out of a live
domain's XML (VNC port, MACs, serial pty, our metadata).
"""

import xml.etree.ElementTree as ET

#: Namespace of the ``<metadata>`` element novalite puts in its domains.
NOVALITE_NS = 'https://novalite.dev/xmlns/libvirt/instance/1.0'
_NS_PREFIX = 'novalite'


def _sub(parent, tag, text=None, **attrs):
    elem = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()
                                       if v is not None})
    if text is not None:
        elem.text = str(text)
    return elem


class ConfigObject:
    """Something that renders to one XML element."""

    def format_dom(self):
        raise NotImplementedError()

    def to_xml(self):
        elem = self.format_dom()
        ET.indent(elem)
        return ET.tostring(elem, encoding='unicode')


class GuestDisk(ConfigObject):
    """A file-backed disk (the instance's qcow2 overlay)."""

    def __init__(self, source_path, driver_type='qcow2', target_dev='vda',
                 target_bus='virtio', device='disk'):
        self.source_path = source_path
        self.driver_type = driver_type
        self.target_dev = target_dev
        self.target_bus = target_bus
        self.device = device

    def format_dom(self):
        disk = ET.Element('disk', type='file', device=self.device)
        _sub(disk, 'driver', name='qemu', type=self.driver_type)
        _sub(disk, 'source', file=self.source_path)
        _sub(disk, 'target', dev=self.target_dev, bus=self.target_bus)
        return disk


class GuestInterface(ConfigObject):
    """A NIC on a libvirt network with a fixed MAC."""

    def __init__(self, network, mac, model='virtio'):
        self.network = network
        self.mac = mac
        self.model = model

    def format_dom(self):
        nic = ET.Element('interface', type='network')
        _sub(nic, 'source', network=self.network)
        _sub(nic, 'mac', address=self.mac)
        _sub(nic, 'model', type=self.model)
        return nic


class GuestSerialConsole(ConfigObject):
    """The first serial port on a pty whose output is also logged to a
    file: the log is the console output, the pty lets one type."""

    def __init__(self, log_path):
        self.log_path = log_path

    def format_dom(self):
        serial = ET.Element('serial', type='pty')
        _sub(serial, 'log', file=self.log_path, append='on')
        _sub(serial, 'target', port=0)
        return serial


class GuestConsole(ConfigObject):
    """``<console>`` bound to the first serial port (``virsh console``)."""

    def format_dom(self):
        console = ET.Element('console', type='pty')
        _sub(console, 'target', type='serial', port=0)
        return console


class GuestVnc(ConfigObject):
    """VNC graphics on ``listen`` with a port libvirt picks."""

    def __init__(self, listen):
        self.listen = listen

    def format_dom(self):
        return ET.Element('graphics', type='vnc', autoport='yes',
                          listen=self.listen)


class GuestMetadata(ConfigObject):
    """novalite's ``<metadata>``: which instance this is and who owns it."""

    def __init__(self, uuid, name=None, host=None, flavor=None):
        self.uuid = uuid
        self.name = name
        self.host = host
        self.flavor = flavor

    def format_dom(self):
        # Written with a literal prefix and xmlns so the stored domain shows
        # ``novalite:`` rather than ElementTree's ``ns0:``.
        meta = ET.Element('metadata')
        inst = _sub(meta, _NS_PREFIX + ':instance',
                    **{'xmlns:' + _NS_PREFIX: NOVALITE_NS})
        for tag in ('uuid', 'name', 'host', 'flavor'):
            value = getattr(self, tag)
            if value is not None:
                _sub(inst, _NS_PREFIX + ':' + tag, value)
        return meta


class Guest(ConfigObject):
    """A whole domain.

    :param virt_type: ``qemu`` (TCG) or ``kvm``.
    :param kernel: path of a kernel for direct boot (with ``initrd`` and
        ``cmdline``); None boots from the first disk.
    :param tb_cache_mb: TCG translation-block cache; only rendered for
        ``qemu`` and when non-zero.
    :param cpu_mode: ``host-model``, ``host-passthrough`` or None.
    """

    def __init__(self, virt_type, name, uuid, memory_mib, vcpus,
                 machine_type='pc', arch='x86_64', kernel=None, initrd=None,
                 cmdline=None, tb_cache_mb=0, cpu_mode=None, metadata=None):
        if virt_type not in ('qemu', 'kvm'):
            raise ValueError('virt_type must be qemu or kvm, not %r'
                             % virt_type)
        self.virt_type = virt_type
        self.name = name
        self.uuid = uuid
        self.memory_mib = int(memory_mib)
        self.vcpus = int(vcpus)
        self.machine_type = machine_type
        self.arch = arch
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.tb_cache_mb = int(tb_cache_mb or 0)
        self.cpu_mode = cpu_mode
        self.metadata = metadata
        self.devices = []

    def add_device(self, device):
        self.devices.append(device)
        return device

    def _format_os(self, root):
        os_elem = _sub(root, 'os')
        _sub(os_elem, 'type', 'hvm', arch=self.arch,
             machine=self.machine_type)
        if self.kernel:
            _sub(os_elem, 'kernel', self.kernel)
            if self.initrd:
                _sub(os_elem, 'initrd', self.initrd)
            if self.cmdline:
                _sub(os_elem, 'cmdline', self.cmdline)
        else:
            _sub(os_elem, 'boot', dev='hd')

    def _format_features(self, root):
        features = _sub(root, 'features')
        _sub(features, 'acpi')
        _sub(features, 'apic')
        if self.virt_type == 'qemu' and self.tb_cache_mb:
            tcg = _sub(features, 'tcg')
            _sub(tcg, 'tb-cache', self.tb_cache_mb, unit='MiB')

    def format_dom(self):
        root = ET.Element('domain', type=self.virt_type)
        _sub(root, 'name', self.name)
        _sub(root, 'uuid', self.uuid)
        if self.metadata is not None:
            root.append(self.metadata.format_dom())
        _sub(root, 'memory', self.memory_mib, unit='MiB')
        _sub(root, 'vcpu', self.vcpus)
        self._format_os(root)
        self._format_features(root)
        if self.cpu_mode:
            _sub(root, 'cpu', mode=self.cpu_mode)
        _sub(root, 'clock', offset='utc')
        _sub(root, 'on_poweroff', 'destroy')
        _sub(root, 'on_reboot', 'restart')
        _sub(root, 'on_crash', 'destroy')
        devices = _sub(root, 'devices')
        for device in self.devices:
            devices.append(device.format_dom())
        # A balloon costs memory and CPU under TCG and nothing uses it.
        _sub(devices, 'memballoon', model='none')
        return root


# -- reading live domain XML --------------------------------------------------


def _parse(xml):
    return xml if isinstance(xml, ET.Element) else ET.fromstring(xml)


def vnc_port(xml):
    """The VNC port of a running domain, or None (no VNC, or not
    running: ``port='-1'``)."""
    for graphics in _parse(xml).iterfind('./devices/graphics'):
        if graphics.get('type') == 'vnc':
            port = int(graphics.get('port', '-1'))
            return port if port > 0 else None
    return None


def interface_macs(xml):
    """MACs of the domain's NICs, in order."""
    return [mac.get('address') for mac in
            _parse(xml).iterfind('./devices/interface/mac')]


def serial_pty(xml):
    """The host pty of the first serial port of a running domain, or
    None."""
    for serial in _parse(xml).iterfind('./devices/serial'):
        if serial.get('type') == 'pty':
            source = serial.find('source')
            if source is not None and source.get('path'):
                return source.get('path')
    return None


def novalite_metadata(xml):
    """novalite's metadata of a domain as a dict (empty when the domain
    is not novalite's)."""
    root = _parse(xml)
    if root.tag in ('instance', '{%s}instance' % NOVALITE_NS):
        inst = root     # virDomainGetMetadata's answer: the bare element
    else:
        inst = root.find('./metadata/{%s}instance' % NOVALITE_NS)
    if inst is None:
        return {}
    return {child.tag.rsplit('}', 1)[-1]: child.text for child in inst}
