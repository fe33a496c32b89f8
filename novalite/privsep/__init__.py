"""novalite's privileged helper: an oslo.privsep context and its
entrypoints (:mod:`novalite.privsep.linux_net`,
:mod:`novalite.privsep.console`).

novalite-compute never runs as root for these few operations; each is a
small function that checks its arguments and runs in a privsep daemon
holding only ``[novalite_privsep] capabilities``. The daemon starts on
the first call, as a new process that connects back to a socket of the
caller (oslo.privsep's "rootwrap" method):

- as any user but root (the systemd unit runs ``User=novalite``) it is
  ``sudo -n <venv>/bin/privsep-helper --config-file <each config file>
  --privsep_context novalite.privsep.sys_admin_pctxt --privsep_sock_path
  <socket>``, the one command ``etc/sudoers.d/novalite-privsep`` allows;
- as root (tests, ``novalite-all``, stack.sh without systemd) the same
  command without ``sudo -n``.

It is never forked from the caller (oslo.privsep's ``Method.FORK``): a
fork of a running daemon would carry its eventlet hub, and so its
oslo.messaging heartbeats, into the helper, which then talks AMQP on the
caller's connection. ``[novalite_privsep] helper_command`` replaces
everything before ``--privsep_context``.

Entrypoints validate their arguments themselves: the check runs in the
privileged daemon, whatever the unprivileged caller sent.
"""

import os
import shutil
import sys

from oslo_concurrency import processutils
from oslo_config import cfg
from oslo_privsep import comm
from oslo_privsep import daemon
from oslo_privsep import priv_context

from novalite.conf import privsep as privsep_conf

# What a privileged call raises when it could not be done: the helper did
# not start (no sudo rule, say) or stopped answering, the entrypoint
# refused its arguments, the command it ran failed, a file was missing.
FAILURES = (daemon.FailedToDropPrivileges, daemon.ProtocolError,
            comm.PrivsepTimeout, processutils.ProcessExecutionError,
            OSError, ValueError)


class _Context(priv_context.PrivContext):
    """A PrivContext that runs the venv's ``privsep-helper`` by its full
    path, through ``sudo -n`` unless the caller is root."""

    def helper_command(self, sockpath):
        if self.conf.helper_command:
            return super().helper_command(sockpath)
        return default_helper_command(self.pypath, sockpath)


def default_helper_command(pypath, sockpath):
    """``[sudo -n] <venv>/bin/privsep-helper`` with this process's config
    files, the context and the socket, in oslo.privsep's argument order
    (the order the sudoers rule spells out); ``sudo -n`` unless this
    process is root."""
    helper = os.path.join(os.path.dirname(sys.executable), 'privsep-helper')
    if not os.path.exists(helper):  # not a venv: wherever pip put scripts
        helper = shutil.which('privsep-helper') or 'privsep-helper'
    cmd = [helper] if os.geteuid() == 0 else ['sudo', '-n', helper]
    for path in _parsed('config_file') or []:
        cmd.extend(['--config-file', path])
    directory = _parsed('config_dir')  # oslo.config keeps the last one
    if directory:
        cmd.extend(['--config-dir', directory])
    cmd.extend(['--privsep_context', pypath, '--privsep_sock_path', sockpath])
    return cmd


def _parsed(name):
    try:
        return getattr(cfg.CONF, name)
    except cfg.NoSuchOptError:  # registered when CONF parses arguments
        return None


sys_admin_pctxt = _Context(
    'novalite.privsep',
    cfg_section=privsep_conf.GROUP,
    pypath=__name__ + '.sys_admin_pctxt',
    capabilities=privsep_conf.CAPABILITIES,
)
