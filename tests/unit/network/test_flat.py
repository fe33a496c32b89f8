"""The compute's libvirt network: its XML and live DHCP host entries
(against a small in-memory stand-in of a virNetwork)."""

import xml.etree.ElementTree as ET

import libvirt
import pytest

from novalite import exception
from novalite.network import flat


class FakeNetwork:
    """What FlatNetwork uses of a virNetwork, with update() semantics of
    the ip-dhcp-host section (ADD_LAST fails on a duplicate MAC)."""

    def __init__(self, xml, persistent=True, active=True):
        self.root = ET.fromstring(xml)
        self.persistent = persistent
        self.active = active
        self.updates = []
        self.autostart = None

    def XMLDesc(self, flags=0):  # noqa: N802 - libvirt's name
        return ET.tostring(self.root, encoding='unicode')

    def isPersistent(self):  # noqa: N802
        return self.persistent

    def isActive(self):  # noqa: N802
        return self.active

    def create(self):
        self.active = True

    def setAutostart(self, value):  # noqa: N802
        self.autostart = value

    def update(self, command, section, index, xml, flags):
        assert section == libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST
        self.updates.append((command, xml, flags))
        ip = self.root.find('ip')
        dhcp = ip.find('dhcp')
        if dhcp is None:
            dhcp = ET.SubElement(ip, 'dhcp')
        host = ET.fromstring(xml)
        if command == libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST:
            for old in dhcp.findall('host'):
                if old.get('mac') == host.get('mac'):
                    raise libvirt.libvirtError('existing dhcp host entry')
            dhcp.append(host)
        elif command == libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE:
            for old in dhcp.findall('host'):
                if old.attrib == host.attrib:
                    dhcp.remove(old)
                    return
            raise libvirt.libvirtError("couldn't locate a matching host")


class FakeConn:
    def __init__(self, network=None):
        self.network = network
        self.defined = []

    def networkLookupByName(self, name):  # noqa: N802
        if self.network is None:
            exc = libvirt.libvirtError('no network')
            exc.err = (libvirt.VIR_ERR_NO_NETWORK,) + (None,) * 8
            raise exc
        return self.network

    def networkDefineXML(self, xml):  # noqa: N802
        self.defined.append(xml)
        self.network = FakeNetwork(xml, active=False)
        return self.network


@pytest.fixture
def net(monkeypatch):
    network = flat.FlatNetwork('novalite', 'nlbr0', '10.20.30.0/24')
    network.released = []
    monkeypatch.setattr(
        flat.linux_net, 'release_dhcp_lease',
        lambda bridge, ip, mac: network.released.append((bridge, ip, mac)))
    return network


def test_gateway_is_the_first_address(net):
    assert (net.gateway, net.netmask) == ('10.20.30.1', '255.255.255.0')
    root = ET.fromstring(net.network_xml())
    assert root.findtext('name') == 'novalite'
    assert root.find('forward').get('mode') == 'nat'
    assert root.find('bridge').get('name') == 'nlbr0'
    assert root.find('ip').attrib == {'address': '10.20.30.1',
                                      'netmask': '255.255.255.0'}
    # static DHCP only: no range, and the gateway's own placeholder entry
    # keeps dnsmasq serving DHCP while there is no guest
    assert root.find('./ip/dhcp/range') is None
    assert [h.attrib for h in root.iterfind('./ip/dhcp/host')] == [
        {'mac': flat.GATEWAY_MAC, 'ip': '10.20.30.1'}]
    assert net.parse_hosts(net.network_xml()) == []


@pytest.mark.parametrize('cidr,bridge', [
    ('10.0.0.0/31', 'nlbr0'), ('fd00::/64', 'nlbr0'),
    ('10.0.0.0/24', 'a-bridge-name-too-long')])
def test_bad_config_is_a_config_error(cidr, bridge):
    with pytest.raises(exception.ConfigError):
        flat.FlatNetwork('n', bridge, cidr)


def test_ensure_defines_autostarts_and_starts_a_missing_network(net):
    conn = FakeConn()
    network = net.ensure(conn)
    assert conn.defined == [net.network_xml()]
    assert network.autostart is True and network.active is True
    # and uses an existing one as it is
    assert net.ensure(conn) is network and len(conn.defined) == 1


def test_ensure_without_create_refuses_a_missing_network(net):
    with pytest.raises(exception.ConfigError):
        net.ensure(FakeConn(), create=False)


def test_host_entries_added_idempotently_and_removed(net):
    conn = FakeConn(FakeNetwork(net.network_xml()))
    net.add_host(conn, 'fa:16:3e:00:00:01', '10.20.30.5', 'vm-1')
    net.add_host(conn, 'fa:16:3e:00:00:01', '10.20.30.5', 'vm-1')
    net.add_host(conn, 'fa:16:3e:00:00:02', '10.20.30.6')
    assert net.hosts(conn) == [
        {'mac': 'fa:16:3e:00:00:01', 'ip': '10.20.30.5', 'name': 'vm-1'},
        {'mac': 'fa:16:3e:00:00:02', 'ip': '10.20.30.6'}]
    flags = {f for _c, _x, f in conn.network.updates}
    assert flags == {libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE |
                     libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG}
    removed = net.remove_hosts(conn, ['FA:16:3E:00:00:01', 'absent'])
    assert [h['ip'] for h in removed] == ['10.20.30.5']
    assert [h['ip'] for h in net.hosts(conn)] == ['10.20.30.6']
    # dnsmasq forgets the lease too: the address is free for another MAC
    assert net.released == [('nlbr0', '10.20.30.5', 'fa:16:3e:00:00:01')]


def test_a_stale_entry_for_the_same_ip_is_replaced(net):
    conn = FakeConn(FakeNetwork(net.network_xml(), persistent=False))
    net.add_host(conn, 'fa:16:3e:00:00:01', '10.20.30.5', 'old')
    net.add_host(conn, 'fa:16:3e:00:00:09', '10.20.30.5', 'new')
    assert net.hosts(conn) == [
        {'mac': 'fa:16:3e:00:00:09', 'ip': '10.20.30.5', 'name': 'new'}]
    assert net.released == [('nlbr0', '10.20.30.5', 'fa:16:3e:00:00:01')]
    # a transient network is only updated live
    assert {f for _c, _x, f in conn.network.updates} == {
        libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE}
