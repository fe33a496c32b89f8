"""The compute node's side of flat networking: its libvirt network.

Each compute has one libvirt network from ``[network]``: a NAT bridge whose
address is the first host of ``fixed_range`` (the gateway), and dnsmasq
serving DHCP in *static* mode: it answers only MACs it has a host entry for,
and every entry is one instance's fixed IP (allocated by
:mod:`novalite.network.api`). Entries are added when a guest is spawned and
removed when it is destroyed, live, with ``virNetworkUpdate`` on the
``ip/dhcp/host`` section, so the guest's DHCP client gets its fixed IP and
its hostname; a removed entry's lease is released in dnsmasq too, so the
address can go to the next guest at once.

The libvirt driver owns the connection and hands it in; this module only
knows the network's shape.
"""

import xml.etree.ElementTree as ET

import netaddr
from oslo_log import log as logging

from novalite import exception
from novalite.network import linux_net
from novalite import privsep

LOG = logging.getLogger(__name__)

#: MAC of the gateway's placeholder DHCP entry: locally administered,
#: unicast, never given to a guest (the allocator uses fa:16:3e).
GATEWAY_MAC = 'fe:ff:ff:ff:ff:fe'


def _libvirt():
    import libvirt
    return libvirt


class FlatNetwork:
    """The libvirt network ``name`` on ``bridge`` for ``cidr``."""

    def __init__(self, name, bridge, cidr):
        net = netaddr.IPNetwork(cidr)
        if net.version != 4 or net.size < 4:
            raise exception.ConfigError(
                option='[network] fixed_range',
                reason='%s is not an IPv4 network with room for hosts'
                % cidr)
        if len(bridge) > 15:
            raise exception.ConfigError(
                option='[network] bridge',
                reason='%r is longer than 15 characters' % bridge)
        self.name = name
        self.bridge = bridge
        self.cidr = str(net.cidr)
        self.gateway = str(netaddr.IPAddress(net.first + 1))
        self.netmask = str(net.netmask)

    # -- XML ------------------------------------------------------------------

    def network_xml(self):
        """The definition of the network (no host entries yet)."""
        root = ET.Element('network')
        ET.SubElement(root, 'name').text = self.name
        forward = ET.SubElement(root, 'forward', mode='nat')
        ET.SubElement(forward, 'nat')
        ET.SubElement(root, 'bridge', name=self.bridge, stp='off',
                      delay='0')
        ip = ET.SubElement(root, 'ip', address=self.gateway,
                           netmask=self.netmask)
        # The gateway's own entry (a MAC no NIC has) keeps dnsmasq's DHCP
        # on while no guest exists, so adding the first guest's entry is
        # a reload (~0.1 s idle) rather than a restart of dnsmasq (~1 s).
        dhcp = ET.SubElement(ip, 'dhcp')
        ET.SubElement(dhcp, 'host', mac=GATEWAY_MAC, ip=self.gateway)
        ET.indent(root)
        return ET.tostring(root, encoding='unicode')

    @staticmethod
    def host_xml(mac, ip, hostname=None):
        """One ``<host>`` element of the DHCP section."""
        attrs = {'mac': mac, 'ip': str(ip)}
        if hostname:
            attrs['name'] = hostname
        return ET.tostring(ET.Element('host', attrs), encoding='unicode')

    @classmethod
    def _entry_xml(cls, host):
        return cls.host_xml(host['mac'], host['ip'], host.get('name'))

    @staticmethod
    def parse_hosts(xml):
        """The guests' DHCP host entries of a network's XML as dicts
        (mac, ip, name)."""
        root = ET.fromstring(xml)
        return [dict(h.attrib) for h in root.iterfind('./ip/dhcp/host')
                if h.get('mac', '').lower() != GATEWAY_MAC]

    # -- libvirt --------------------------------------------------------------

    def lookup(self, conn):
        """The virNetwork, or None when it is not defined."""
        libvirt = _libvirt()
        try:
            return conn.networkLookupByName(self.name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                return None
            raise

    def ensure(self, conn, create=True):
        """Make sure the network exists and is active.

        Defines it (persistent, autostarted) when missing and ``create``
        is set; starts it when inactive. An existing network is used as it
        is, with a warning when its bridge or address differ from the
        configuration.

        :returns: the virNetwork.
        :raises: ConfigError when it is missing and ``create`` is False.
        """
        net = self.lookup(conn)
        if net is None:
            if not create:
                raise exception.ConfigError(
                    option='[network] network_name',
                    reason='libvirt network %s does not exist and '
                           '[network] create_network is False' % self.name)
            LOG.info('Defining libvirt network %s (%s on %s, gateway %s)',
                     self.name, self.cidr, self.bridge, self.gateway)
            net = conn.networkDefineXML(self.network_xml())
            net.setAutostart(True)
        else:
            self._check_existing(net)
        if not net.isActive():
            LOG.info('Starting libvirt network %s', self.name)
            net.create()
        return net

    def _check_existing(self, net):
        root = ET.fromstring(net.XMLDesc(0))
        bridge = root.find('bridge')
        ip = root.find('ip')
        found = (bridge.get('name') if bridge is not None else None,
                 ip.get('address') if ip is not None else None)
        if found != (self.bridge, self.gateway):
            LOG.warning('libvirt network %s has bridge %s and address %s; '
                        'the configuration says %s and %s', self.name,
                        found[0], found[1], self.bridge, self.gateway)

    def _update(self, net, command, xml):
        libvirt = _libvirt()
        flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
        if net.isPersistent():
            flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
        net.update(command, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                   xml, flags)

    def _forget(self, net, host):
        """Drop a host entry and the lease dnsmasq holds for it, so its
        address can go to another MAC at once."""
        libvirt = _libvirt()
        self._update(net, libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE,
                     self._entry_xml(host))
        try:
            linux_net.release_dhcp_lease(self.bridge, host['ip'],
                                         host['mac'])
        except privsep.FAILURES as exc:
            LOG.warning('Could not release the DHCP lease of %s (%s): %s',
                        host['ip'], host['mac'], exc)

    def hosts(self, conn):
        """The live DHCP host entries."""
        net = self.lookup(conn)
        return self.parse_hosts(net.XMLDesc(0)) if net is not None else []

    def add_host(self, conn, mac, ip, hostname=None):
        """Serve ``ip`` (and ``hostname``) to ``mac``. Idempotent; a stale
        entry holding the same MAC or IP is replaced."""
        libvirt = _libvirt()
        net = self.ensure(conn, create=False)
        wanted = {'mac': mac, 'ip': str(ip)}
        if hostname:
            wanted['name'] = hostname
        for host in self.parse_hosts(net.XMLDesc(0)):
            if host == wanted:
                return
            if host.get('mac', '').lower() == mac.lower() or \
                    host.get('ip') == str(ip):
                LOG.info('Replacing stale DHCP entry %s', host)
                self._forget(net, host)
        self._update(net, libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                     self.host_xml(mac, ip, hostname))
        LOG.debug('DHCP host %s -> %s (%s) on %s', mac, ip, hostname,
                  self.name)

    def remove_hosts(self, conn, macs):
        """Drop the DHCP entries of ``macs``; absent ones are ignored.

        :returns: the entries removed.
        """
        net = self.lookup(conn)
        if net is None:
            return []
        macs = {m.lower() for m in macs if m}
        removed = []
        for host in self.parse_hosts(net.XMLDesc(0)):
            if host.get('mac', '').lower() in macs:
                self._forget(net, host)
                removed.append(host)
        return removed
