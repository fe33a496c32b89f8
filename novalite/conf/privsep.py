"""The privileged helper of novalite-compute (``[novalite_privsep]``).

These are oslo.privsep's own options, registered under the section of
novalite's privsep context (:mod:`novalite.privsep`).
"""

import copy

from oslo_config import cfg
from oslo_privsep import capabilities
from oslo_privsep import priv_context

GROUP = 'novalite_privsep'

# What the entrypoints really use: iptables needs CAP_NET_ADMIN (and
# CAP_NET_RAW for its netlink/raw sockets), dhcp_release CAP_NET_RAW
# (it binds to the bridge device), reading a console log that virtlogd
# wrote 0600 CAP_DAC_READ_SEARCH.
CAPABILITIES = [capabilities.CAP_NET_ADMIN, capabilities.CAP_NET_RAW,
                capabilities.CAP_DAC_READ_SEARCH]

privsep_group = cfg.OptGroup(
    GROUP, title='Privileged helper (oslo.privsep)',
    help='novalite-compute does its few privileged operations (the '
         'metadata DNAT rule, releasing DHCP leases, reading guests\' '
         'console logs) in an oslo.privsep daemon that keeps only '
         '``capabilities``. The compute starts it as ``sudo -n '
         '<venv>/bin/privsep-helper --config-file ... --privsep_context '
         'novalite.privsep.sys_admin_pctxt --privsep_sock_path ...`` '
         '(etc/sudoers.d/novalite-privsep allows exactly that; without '
         '``sudo -n`` when the compute runs as root) unless '
         '``helper_command`` says otherwise.')


def register_opts(conf):
    conf.register_group(privsep_group)
    conf.register_opts(priv_context.OPTS, group=privsep_group)
    conf.set_default('capabilities', CAPABILITIES, group=GROUP)


def list_opts():
    opts = copy.deepcopy(priv_context.OPTS)
    for opt in opts:
        if opt.name == 'capabilities':
            # by name in the sample (the option takes names or numbers)
            opt.default = [capabilities.CAPS_BYVALUE[c]
                           for c in CAPABILITIES]
    return {privsep_group: opts}
