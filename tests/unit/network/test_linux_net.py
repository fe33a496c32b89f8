"""The metadata DNAT rule: added once, replaced when its destination
changes, removed by its comment; every command goes through the
privileged helper's entrypoints (iptables itself is simulated)."""

import shlex
from unittest import mock

import pytest
from oslo_concurrency import processutils

from novalite.network import linux_net
from novalite.privsep import linux_net as priv_net


class FakeIptables:
    """``iptables -w -t nat`` over a list of PREROUTING rules."""

    def __init__(self):
        self.rules = []
        self.calls = []

    def __call__(self, binary, *args, **kwargs):
        assert binary.endswith('iptables')
        assert args[:3] == ('-w', '-t', 'nat')
        op, chain, rest = args[3], args[4], list(args[5:])
        self.calls.append(op)
        assert chain == 'PREROUTING'
        if op == '-S':
            lines = ['-P PREROUTING ACCEPT'] + [
                '-A PREROUTING ' + ' '.join(
                    '"%s"' % w if w.startswith('novalite-') else w
                    for w in rule) for rule in self.rules]
            return '\n'.join(lines) + '\n', ''
        if op == '-L':
            lines = ['Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)',
                     '    pkts      bytes target     prot opt in     out  '
                     '   source               destination']
            lines += ['%8d %10d DNAT tcp -- %s * 0.0.0.0/0 '
                      '169.254.169.254 tcp dpt:80 /* %s */ to:%s'
                      % (7, 420, r[1], r[r.index('--comment') + 1], r[-1])
                      for r in self.rules]
            return '\n'.join(lines) + '\n', ''
        if op == '-C':
            if rest not in self.rules:
                raise processutils.ProcessExecutionError(exit_code=1)
            return '', ''
        if op == '-I':
            self.rules.insert(int(rest[0]) - 1, rest[1:])
            return '', ''
        if op == '-D':
            if rest not in self.rules:
                raise processutils.ProcessExecutionError(exit_code=1)
            self.rules.remove(rest)
            return '', ''
        raise AssertionError(args)


@pytest.fixture
def iptables(monkeypatch, privileged):
    fake = FakeIptables()
    monkeypatch.setattr(priv_net.processutils, 'execute', fake)
    return fake


def test_rule_redirects_the_link_local_address():
    spec = linux_net.metadata_rule('nlbr0', '10.0.0.1', 8775)
    text = ' '.join(spec)
    assert '-i nlbr0 -d 169.254.169.254/32 -p tcp' in text
    assert '--dport 80' in text
    assert '-j DNAT --to-destination 10.0.0.1:8775' in text


def test_ensure_is_idempotent(iptables):
    assert linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    assert not linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    assert len(iptables.rules) == 1


def test_a_new_destination_replaces_the_old_rule(iptables):
    linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    linux_net.ensure_metadata_redirect('nlbr1', '10.0.1.1', 8775)
    linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 9999)
    assert sorted(r[-1] for r in iptables.rules) == ['10.0.0.1:9999',
                                                     '10.0.1.1:8775']


def test_remove_takes_only_the_bridges_rules(iptables):
    linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    linux_net.ensure_metadata_redirect('nlbr1', '10.0.1.1', 8775)
    assert linux_net.remove_metadata_redirect('nlbr0') == 1
    assert linux_net.remove_metadata_redirect('nlbr0') == 0
    assert [shlex.join(r) for r in iptables.rules] == [shlex.join(
        linux_net.metadata_rule('nlbr1', '10.0.1.1', 8775))]


def test_packets_count_only_the_bridges_rule(iptables):
    assert linux_net.metadata_redirect_packets('nlbr0') is None
    linux_net.ensure_metadata_redirect('nlbr01', '10.0.1.1', 8775)
    assert linux_net.metadata_redirect_packets('nlbr0') is None
    linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    assert linux_net.metadata_redirect_packets('nlbr0') == 7


def test_every_command_goes_through_an_entrypoint(monkeypatch):
    """linux_net itself runs nothing: it calls the privileged helper."""
    fake = mock.Mock(spec=['metadata_rules', 'add_metadata_rule',
                           'delete_metadata_rule', 'metadata_rule_packets',
                           'dhcp_release'])
    fake.metadata_rules.return_value = [['10.0.0.9', 8775]]
    fake.delete_metadata_rule.return_value = True
    monkeypatch.setattr(linux_net, 'priv_net', fake)
    assert linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', '8775')
    fake.delete_metadata_rule.assert_called_once_with('nlbr0', '10.0.0.9',
                                                      8775)
    fake.add_metadata_rule.assert_called_once_with('nlbr0', '10.0.0.1', 8775)
    assert linux_net.remove_metadata_redirect('nlbr0') == 1
    linux_net.metadata_redirect_packets('nlbr0')
    fake.metadata_rule_packets.assert_called_once_with('nlbr0')
    linux_net.release_dhcp_lease('nlbr0', '10.0.0.5', 'fa:16:3e:00:00:05')
    fake.dhcp_release.assert_called_once_with('nlbr0', '10.0.0.5',
                                              'fa:16:3e:00:00:05')


def test_a_rule_listed_over_the_privsep_channel_is_recognised(monkeypatch):
    """Regression: the channel hands lists back as tuples, and an
    identical rule was taken for another one, deleted and added again
    at every start."""
    fake = mock.Mock(spec=['metadata_rules', 'add_metadata_rule',
                           'delete_metadata_rule'])
    fake.metadata_rules.return_value = (('10.0.0.1', 8775),)
    monkeypatch.setattr(linux_net, 'priv_net', fake)
    assert not linux_net.ensure_metadata_redirect('nlbr0', '10.0.0.1', 8775)
    fake.delete_metadata_rule.assert_not_called()
    fake.add_metadata_rule.assert_not_called()


def test_release_dhcp_lease_runs_dhcp_release(monkeypatch, privileged):
    calls = []
    monkeypatch.setattr(priv_net.shutil, 'which',
                        lambda name, path=None: '/usr/bin/' + name)
    monkeypatch.setattr(priv_net.processutils, 'execute',
                        lambda *args, **kw: calls.append(args) or ('', ''))
    assert linux_net.release_dhcp_lease('nlbr0', '10.0.0.5',
                                        'fa:16:3e:00:00:05')
    assert calls == [('/usr/bin/dhcp_release', 'nlbr0', '10.0.0.5',
                      'fa:16:3e:00:00:05')]


def test_release_without_dhcp_release_installed_is_a_warning(monkeypatch,
                                                              privileged):
    monkeypatch.setattr(priv_net.shutil, 'which', lambda *a, **kw: None)
    assert linux_net.release_dhcp_lease('nlbr0', '10.0.0.5',
                                        'fa:16:3e:00:00:05') is False


def test_a_unit_test_cannot_reach_the_real_helper():
    with pytest.raises(AssertionError, match='privsep entrypoint'):
        linux_net.metadata_redirect_packets('nlbr0')
