"""How the privileged helper starts: ``sudo -n <venv>/bin/privsep-helper
...``, without ``sudo -n`` when the caller is root."""

import os
import re
import sys
from unittest import mock

from oslo_privsep import capabilities
from oslo_privsep import priv_context

from novalite import privsep

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
HELPER_ARGS = [
    os.path.join(os.path.dirname(sys.executable), 'privsep-helper'),
    '--config-file', '/etc/novalite/novalite.conf',
    '--privsep_context', 'novalite.privsep.sys_admin_pctxt',
    '--privsep_sock_path', '/tmp/tmpab_12/privsep.sock']


def _default_command(euid, conf='/etc/novalite/novalite.conf',
                     pypath='novalite.privsep.sys_admin_pctxt',
                     sock='/tmp/tmpab_12/privsep.sock'):
    with mock.patch.object(privsep.cfg.CONF, 'config_file', [conf],
                           create=True), \
            mock.patch.object(privsep.os, 'geteuid', lambda: euid):
        return privsep.default_helper_command(pypath, sock)


def test_a_plain_user_runs_the_venvs_privsep_helper_under_sudo():
    assert _default_command(997) == ['sudo', '-n'] + HELPER_ARGS


def test_root_runs_the_helper_itself():
    assert _default_command(0) == HELPER_ARGS


def test_the_context_uses_the_default_command(monkeypatch):
    monkeypatch.setattr(privsep.os, 'geteuid', lambda: 997)
    monkeypatch.setattr(privsep.cfg.CONF, 'config_file',
                        ['/etc/novalite/novalite.conf'], raising=False)
    assert privsep.sys_admin_pctxt.helper_command(
        '/tmp/tmpab_12/privsep.sock') == ['sudo', '-n'] + HELPER_ARGS


def test_the_helper_is_started_not_forked():
    """A fork of an eventlet daemon would run its AMQP heartbeats in the
    helper too: the context keeps oslo.privsep's exec-based start."""
    assert privsep._Context.start is priv_context.PrivContext.start


def test_helper_command_replaces_the_default(flags):
    flags(group='novalite_privsep', helper_command='/usr/bin/doas helper')
    assert privsep.sys_admin_pctxt.helper_command('/s') == [
        '/usr/bin/doas', 'helper', '--privsep_context',
        'novalite.privsep.sys_admin_pctxt', '--privsep_sock_path', '/s']


def test_the_helper_keeps_only_the_capabilities_it_needs():
    assert sorted(privsep.sys_admin_pctxt.conf.capabilities) == sorted([
        capabilities.CAP_NET_ADMIN, capabilities.CAP_NET_RAW,
        capabilities.CAP_DAC_READ_SEARCH])


def test_the_sudoers_rule_allows_exactly_the_default_helper():
    """etc/sudoers.d/novalite-privsep matches the command the compute
    runs (with the stock venv and config), and nothing looser."""
    with open(os.path.join(REPO, 'etc', 'sudoers.d',
                           'novalite-privsep')) as f:
        rules = [line for line in f.read().splitlines()
                 if line and not line.startswith('#')]
    assert len(rules) == 1
    user, spec = rules[0].split(' ALL=(root) NOPASSWD: ')
    assert user == 'novalite'
    binary, args = spec.split(' ', 1)
    assert binary == '/opt/novalite/venv/bin/privsep-helper'
    assert args.startswith('^') and args.endswith('$')
    pattern = re.compile(args)

    def allowed(**kwargs):
        cmd = _default_command(997, **kwargs)
        return bool(pattern.fullmatch(' '.join(cmd[3:])))

    assert allowed(sock='/tmp/tmpk2j_9x0a/privsep.sock')
    assert not allowed(
        sock='/tmp/x --log-config-append /tmp/evil /privsep.sock')
    assert not allowed(conf='/tmp/evil.conf')
    assert not allowed(pypath='os.system')
