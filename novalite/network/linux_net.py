"""Host-side commands of flat networking: the metadata DNAT rule
(iptables, nat table) and DHCP lease release.

Guests ask the metadata service at ``169.254.169.254:80``; a DNAT rule in
``PREROUTING`` for packets entering from the flat network's bridge sends
them to the metadata API (``host:port``). Each rule carries the comment
``novalite-metadata:<bridge>`` so it is found again by name: adding is
idempotent (an identical rule is kept, one with another destination is
replaced) and removing takes every rule of that bridge.
"""

import os
import shlex
import shutil

from oslo_concurrency import processutils
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

METADATA_ADDRESS = '169.254.169.254'
_CHAIN = 'PREROUTING'


def _comment(bridge):
    return 'novalite-metadata:%s' % bridge


def metadata_rule(bridge, host, port):
    """The rule specification (after ``-A PREROUTING``) of the redirect."""
    return ['-i', bridge, '-d', METADATA_ADDRESS + '/32', '-p', 'tcp',
            '-m', 'tcp', '--dport', '80',
            '-m', 'comment', '--comment', _comment(bridge),
            '-j', 'DNAT', '--to-destination', '%s:%d' % (host, int(port))]


def _search_path():
    # daemons may run with a PATH that lacks the sbin directories
    return os.environ.get('PATH', os.defpath) + ':/usr/sbin:/sbin'


def _iptables(*args):
    path = _search_path()
    binary = shutil.which('iptables', path=path) or 'iptables'
    out, _err = processutils.execute(binary, '-w', '-t', 'nat', *args,
                                     env_variables={'LC_ALL': 'C',
                                                    'PATH': path})
    return out


def _our_rules(bridge):
    """``bridge``'s rules as argument lists (``-A PREROUTING ...``), the
    way ``iptables -S`` prints them (the comment in quotes)."""
    marker = _comment(bridge)
    rules = []
    for line in _iptables('-S', _CHAIN).splitlines():
        words = shlex.split(line)
        if words[:2] == ['-A', _CHAIN] and marker in words:
            rules.append(words)
    return rules


def ensure_metadata_redirect(bridge, host, port):
    """Add the redirect of ``bridge`` to ``host:port`` unless it is there.

    :returns: True when a rule was added.
    """
    spec = metadata_rule(bridge, host, port)
    try:
        _iptables('-C', _CHAIN, *spec)
        return False
    except processutils.ProcessExecutionError:
        pass
    # Any rule of ours for this bridge points elsewhere: replace it.
    remove_metadata_redirect(bridge)
    _iptables('-I', _CHAIN, '1', *spec)
    LOG.info('Redirecting %s:80 from %s to the metadata API at %s:%s',
             METADATA_ADDRESS, bridge, host, port)
    return True


def remove_metadata_redirect(bridge):
    """Delete every metadata redirect of ``bridge``; returns how many."""
    count = 0
    for words in _our_rules(bridge):
        _iptables('-D', *words[1:])
        count += 1
    return count


def metadata_redirect_packets(bridge):
    """Packets that matched ``bridge``'s redirect so far (None: no rule)."""
    marker = _comment(bridge)
    total = None
    for line in _iptables('-L', _CHAIN, '-n', '-v', '-x').splitlines():
        if marker in line:
            total = (total or 0) + int(line.split()[0])
    return total


def release_dhcp_lease(bridge, ip, mac):
    """Make dnsmasq on ``bridge`` forget the lease of ``ip`` held by
    ``mac`` (``dhcp_release`` of dnsmasq-utils sends it a DHCPRELEASE).

    Without this a freed address stays leased to the old MAC until the
    lease expires, and dnsmasq refuses it to the next guest that is given
    it. :returns: False when ``dhcp_release`` is not installed.
    """
    binary = shutil.which('dhcp_release', path=_search_path())
    if binary is None:
        LOG.warning('dhcp_release (dnsmasq-utils) is not installed: the '
                    'lease of %s stays with %s until it expires', ip, mac)
        return False
    processutils.execute(binary, bridge, str(ip), mac,
                         env_variables={'LC_ALL': 'C',
                                        'PATH': _search_path()})
    return True
