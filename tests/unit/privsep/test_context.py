"""How the privileged helper starts: forked when the caller is root,
``sudo -n <venv>/bin/privsep-helper ...`` otherwise."""

import os
import sys
from unittest import mock

import pytest
from oslo_privsep import capabilities
from oslo_privsep import priv_context

from novalite import privsep


@pytest.mark.parametrize('euid,method', [
    (0, priv_context.Method.FORK), (997, priv_context.Method.ROOTWRAP)])
def test_the_start_method_follows_the_user(monkeypatch, euid, method):
    started = []
    monkeypatch.setattr(priv_context.PrivContext, 'start',
                        lambda self, m: started.append(m))
    monkeypatch.setattr(privsep.os, 'geteuid', lambda: euid)
    privsep._Context.start(privsep.sys_admin_pctxt)
    assert started == [method]


def test_the_default_helper_is_the_venvs_privsep_helper_under_sudo(
        monkeypatch):
    monkeypatch.setattr(privsep.cfg.CONF, 'config_file',
                        ['/etc/novalite/novalite.conf'], raising=False)
    cmd = privsep.sys_admin_pctxt.helper_command('/tmp/tmpab_12/privsep.sock')
    assert cmd == [
        'sudo', '-n',
        os.path.join(os.path.dirname(sys.executable), 'privsep-helper'),
        '--config-file', '/etc/novalite/novalite.conf',
        '--privsep_context', 'novalite.privsep.sys_admin_pctxt',
        '--privsep_sock_path', '/tmp/tmpab_12/privsep.sock']


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
    import re
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                        'sudoers.d', 'novalite-privsep')
    with open(path) as f:
        rules = [line for line in f.read().splitlines()
                 if line and not line.startswith('#')]
    assert len(rules) == 1
    user, spec = rules[0].split(' ALL=(root) NOPASSWD: ')
    assert user == 'novalite'
    binary, args = spec.split(' ', 1)
    assert binary == '/opt/novalite/venv/bin/privsep-helper'
    assert args.startswith('^') and args.endswith('$')
    pattern = re.compile(args)

    def allowed(sock, conf='/etc/novalite/novalite.conf',
                pypath='novalite.privsep.sys_admin_pctxt'):
        with mock.patch.object(privsep.cfg.CONF, 'config_file', [conf],
                               create=True):
            cmd = privsep.default_helper_command(pypath, sock)
        return bool(pattern.fullmatch(' '.join(cmd[3:])))

    assert allowed('/tmp/tmpk2j_9x0a/privsep.sock')
    assert not allowed('/tmp/x --log-config-append /tmp/evil /privsep.sock')
    assert not allowed('/tmp/tmpk2j_9x0a/privsep.sock',
                       conf='/tmp/evil.conf')
    assert not allowed('/tmp/tmpk2j_9x0a/privsep.sock', pypath='os.system')
