"""Privileged host networking: the metadata DNAT rule (iptables, nat
table, ``PREROUTING``) and ``dhcp_release``.

Every entrypoint takes only typed values (a bridge name, an IPv4
address, a port, a MAC) and builds the command line itself; a value that
does not look like what it claims is refused with ValueError before any
command runs. The chain is always ``PREROUTING`` and every rule carries
the comment ``novalite-metadata:<bridge>``, so nothing but novalite's
own redirect can be listed, added or deleted through here.
"""

import ipaddress
import os
import re
import shlex
import shutil

from oslo_concurrency import processutils

from novalite import privsep

METADATA_ADDRESS = '169.254.169.254'
CHAIN = 'PREROUTING'

# A Linux interface name: at most 15 bytes (IFNAMSIZ less the NUL), and
# here only letters, digits, '_', '.', '-', never a leading '-' (an
# option to iptables) nor '.' / '..'.
_BRIDGE_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}')
_MAC_RE = re.compile(r'[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}')


def check_bridge(bridge):
    """``bridge`` if it is a plain interface name; ValueError if not."""
    if not isinstance(bridge, str) or not _BRIDGE_RE.fullmatch(bridge) \
            or bridge in ('.', '..'):
        raise ValueError('invalid bridge name: %r' % (bridge,))
    return bridge


def check_ipv4(address):
    """``address`` as a normalized dotted-quad string; ValueError if it
    is not one IPv4 address."""
    if not isinstance(address, str):
        raise ValueError('invalid IPv4 address: %r' % (address,))
    try:
        return str(ipaddress.IPv4Address(address))
    except ipaddress.AddressValueError:
        raise ValueError('invalid IPv4 address: %r' % (address,))


def check_port(port):
    """``port`` as an int in 1..65535; ValueError otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) \
            or not 0 < port < 65536:
        raise ValueError('invalid TCP port: %r' % (port,))
    return port


def check_mac(mac):
    """``mac`` if it is six colon-separated hex octets; ValueError if not."""
    if not isinstance(mac, str) or not _MAC_RE.fullmatch(mac):
        raise ValueError('invalid MAC address: %r' % (mac,))
    return mac.lower()


def comment(bridge):
    """The iptables comment that marks ``bridge``'s redirect as ours."""
    return 'novalite-metadata:%s' % bridge


def metadata_rule(bridge, host, port):
    """The rule specification (after ``-A PREROUTING``) of the redirect
    of ``bridge``'s ``169.254.169.254:80`` to ``host:port``."""
    bridge = check_bridge(bridge)
    return ['-i', bridge, '-d', METADATA_ADDRESS + '/32', '-p', 'tcp',
            '-m', 'tcp', '--dport', '80',
            '-m', 'comment', '--comment', comment(bridge),
            '-j', 'DNAT', '--to-destination',
            '%s:%d' % (check_ipv4(host), check_port(port))]


def _search_path():
    # daemons may run with a PATH that lacks the sbin directories
    return os.environ.get('PATH', os.defpath) + ':/usr/sbin:/sbin'


def _run(name, *args):
    path = _search_path()
    binary = shutil.which(name, path=path) or name
    out, _err = processutils.execute(binary, *args,
                                     env_variables={'LC_ALL': 'C',
                                                    'PATH': path})
    return out


def _iptables(*args):
    return _run('iptables', '-w', '-t', 'nat', *args)


def _destination(words):
    """``(host, port)`` of an ``iptables -S`` rule's ``--to-destination``
    (None when it has none or it is not ``a.b.c.d:port``)."""
    try:
        host, port = words[words.index('--to-destination') + 1].split(':')
        return check_ipv4(host), check_port(int(port))
    except (ValueError, IndexError):
        return None


@privsep.sys_admin_pctxt.entrypoint
def metadata_rules(bridge):
    """Destinations ``[host, port]`` of ``bridge``'s metadata redirects,
    in chain order."""
    marker = comment(check_bridge(bridge))
    found = []
    for line in _iptables('-S', CHAIN).splitlines():
        words = shlex.split(line)
        if words[:2] == ['-A', CHAIN] and marker in words:
            dest = _destination(words)
            if dest is not None:
                found.append(list(dest))
    return found


@privsep.sys_admin_pctxt.entrypoint
def add_metadata_rule(bridge, host, port):
    """Insert the redirect of ``bridge`` to ``host:port`` first in
    ``PREROUTING``, unless that very rule is there. :returns: True when
    it was added."""
    spec = metadata_rule(bridge, host, port)
    try:
        _iptables('-C', CHAIN, *spec)
        return False
    except processutils.ProcessExecutionError:
        pass
    _iptables('-I', CHAIN, '1', *spec)
    return True


@privsep.sys_admin_pctxt.entrypoint
def delete_metadata_rule(bridge, host, port):
    """Delete one redirect of ``bridge`` to ``host:port``. :returns:
    False when there was none."""
    spec = metadata_rule(bridge, host, port)
    try:
        _iptables('-D', CHAIN, *spec)
    except processutils.ProcessExecutionError:
        return False
    return True


@privsep.sys_admin_pctxt.entrypoint
def metadata_rule_packets(bridge):
    """Packets that matched ``bridge``'s redirects so far (None: no
    rule)."""
    marker = comment(check_bridge(bridge))
    total = None
    for line in _iptables('-L', CHAIN, '-n', '-v', '-x').splitlines():
        if marker in line.split():
            total = (total or 0) + int(line.split()[0])
    return total


@privsep.sys_admin_pctxt.entrypoint
def dhcp_release(bridge, ip, mac):
    """``dhcp_release <bridge> <ip> <mac>`` (dnsmasq-utils): dnsmasq on
    ``bridge`` forgets that lease. :returns: False when ``dhcp_release``
    is not installed."""
    args = (check_bridge(bridge), check_ipv4(ip), check_mac(mac))
    if shutil.which('dhcp_release', path=_search_path()) is None:
        return False
    _run('dhcp_release', *args)
    return True
