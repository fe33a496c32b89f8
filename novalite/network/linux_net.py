"""Host-side commands of flat networking: the metadata DNAT rule
(iptables, nat table) and DHCP lease release.

Guests ask the metadata service at ``169.254.169.254:80``; a DNAT rule in
``PREROUTING`` for packets entering from the flat network's bridge sends
them to the metadata API (``host:port``). Each rule carries the comment
``novalite-metadata:<bridge>`` so it is found again by name: adding is
idempotent (an identical rule is kept, one with another destination is
replaced) and removing takes every rule of that bridge.

The commands themselves run in novalite's privileged helper
(:mod:`novalite.privsep.linux_net`), which checks every argument: this
module is what the rest of novalite calls.
"""

from oslo_log import log as logging

from novalite.privsep import linux_net as priv_net

LOG = logging.getLogger(__name__)

METADATA_ADDRESS = priv_net.METADATA_ADDRESS
metadata_rule = priv_net.metadata_rule


def ensure_metadata_redirect(bridge, host, port):
    """Add the redirect of ``bridge`` to ``host:port`` unless it is there.

    :returns: True when a rule was added.
    :raises: ValueError for a bridge, address or port that is not one;
        ProcessExecutionError when iptables fails.
    """
    wanted = (host, int(port))
    # lists here, tuples when they come over the privsep channel
    rules = [tuple(rule) for rule in priv_net.metadata_rules(bridge)]
    if wanted in rules:
        return False
    # Any rule of ours for this bridge points elsewhere: replace it.
    for other in rules:
        priv_net.delete_metadata_rule(bridge, *other)
    priv_net.add_metadata_rule(bridge, host, int(port))
    LOG.info('Redirecting %s:80 from %s to the metadata API at %s:%s',
             METADATA_ADDRESS, bridge, host, port)
    return True


def remove_metadata_redirect(bridge):
    """Delete every metadata redirect of ``bridge``; returns how many."""
    count = 0
    for host, port in priv_net.metadata_rules(bridge):
        if priv_net.delete_metadata_rule(bridge, host, port):
            count += 1
    return count


def metadata_redirect_packets(bridge):
    """Packets that matched ``bridge``'s redirect so far (None: no rule)."""
    return priv_net.metadata_rule_packets(bridge)


def release_dhcp_lease(bridge, ip, mac):
    """Make dnsmasq on ``bridge`` forget the lease of ``ip`` held by
    ``mac`` (``dhcp_release`` of dnsmasq-utils sends it a DHCPRELEASE).

    Without this a freed address stays leased to the old MAC until the
    lease expires, and dnsmasq refuses it to the next guest that is given
    it. :returns: False when ``dhcp_release`` is not installed.
    """
    if not priv_net.dhcp_release(bridge, str(ip), mac):
        LOG.warning('dhcp_release (dnsmasq-utils) is not installed: the '
                    'lease of %s stays with %s until it expires', ip, mac)
        return False
    return True
