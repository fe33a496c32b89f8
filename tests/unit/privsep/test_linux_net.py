"""The network entrypoints accept typed values only and build their
command lines themselves."""

import pytest

from novalite.privsep import linux_net as priv_net


@pytest.mark.parametrize('bridge', ['nlbr0', 'virbr0', 'br-ex', 'a',
                                    'eth0.100', 'x' * 15])
def test_interface_names_pass(bridge):
    assert priv_net.check_bridge(bridge) == bridge


@pytest.mark.parametrize('bridge', [
    '', '-j', '--to-destination', 'x' * 16, 'br 0', 'br/0', '.', '..',
    'br0;reboot', 'br0\n', None, 7, ['nlbr0']])
def test_anything_else_is_no_bridge(bridge):
    with pytest.raises(ValueError):
        priv_net.check_bridge(bridge)


@pytest.mark.parametrize('address', [
    '10.0.0.1 -j ACCEPT', '::1', 'localhost', '10.0.0.256', '10.0.0.1/24',
    '', 167772161, None])
def test_only_one_ipv4_address_passes(address):
    with pytest.raises(ValueError):
        priv_net.check_ipv4(address)


@pytest.mark.parametrize('port', [0, 65536, -1, True, '80', 80.0, None])
def test_ports_are_ints_in_range(port):
    with pytest.raises(ValueError):
        priv_net.check_port(port)


@pytest.mark.parametrize('mac', ['fa:16:3e:00:00', 'fa-16-3e-00-00-05',
                                 'fa:16:3e:00:00:05 x', 'zz:16:3e:00:00:05',
                                 '', None])
def test_macs_are_six_hex_octets(mac):
    with pytest.raises(ValueError):
        priv_net.check_mac(mac)


def test_the_rule_is_built_from_checked_values():
    assert priv_net.metadata_rule('nlbr0', '10.0.0.1', 8775) == [
        '-i', 'nlbr0', '-d', '169.254.169.254/32', '-p', 'tcp', '-m', 'tcp',
        '--dport', '80', '-m', 'comment', '--comment',
        'novalite-metadata:nlbr0', '-j', 'DNAT', '--to-destination',
        '10.0.0.1:8775']
    with pytest.raises(ValueError):
        priv_net.metadata_rule('nlbr0', '10.0.0.1:1 -j ACCEPT', 8775)


@pytest.fixture
def commands(monkeypatch, privileged):
    ran = []
    monkeypatch.setattr(priv_net.processutils, 'execute',
                        lambda *args, **kw: ran.append(args) or ('', ''))
    monkeypatch.setattr(priv_net.shutil, 'which',
                        lambda name, path=None: '/usr/sbin/' + name)
    return ran


@pytest.mark.parametrize('call', [
    lambda: priv_net.add_metadata_rule('nlbr0', '10.0.0.1', '8775'),
    lambda: priv_net.add_metadata_rule('-F', '10.0.0.1', 8775),
    lambda: priv_net.delete_metadata_rule('nlbr0', '0.0.0.0/0', 8775),
    lambda: priv_net.metadata_rules('nlbr0 -F'),
    lambda: priv_net.metadata_rule_packets(''),
    lambda: priv_net.dhcp_release('nlbr0', '10.0.0.5', '--help'),
    lambda: priv_net.dhcp_release('nlbr0', '10.0.0.5; id', 'fa:16:3e:0:0:5'),
])
def test_a_refused_argument_runs_nothing(commands, call):
    with pytest.raises(ValueError):
        call()
    assert commands == []


def test_rules_of_other_bridges_or_without_destination_are_not_listed(
        monkeypatch, privileged):
    out = '\n'.join([
        '-P PREROUTING ACCEPT',
        '-A PREROUTING -i nlbr0 -j DNAT --to-destination 10.0.0.1:1',
        '-A PREROUTING -i nlbr1 -m comment --comment '
        '"novalite-metadata:nlbr1" -j DNAT --to-destination 10.0.1.1:8775',
        '-A PREROUTING -i nlbr0 -m comment --comment '
        '"novalite-metadata:nlbr0" -j DNAT --to-destination 10.0.0.1:8775',
        '-A PREROUTING -i nlbr0 -m comment --comment '
        '"novalite-metadata:nlbr0" -j ACCEPT'])
    monkeypatch.setattr(priv_net.processutils, 'execute',
                        lambda *args, **kw: (out, ''))
    assert priv_net.metadata_rules('nlbr0') == [['10.0.0.1', 8775]]


def test_dhcp_release_runs_with_the_checked_values(commands):
    assert priv_net.dhcp_release('nlbr0', '10.0.0.5', 'FA:16:3E:00:00:05')
    assert commands == [('/usr/sbin/dhcp_release', 'nlbr0', '10.0.0.5',
                         'fa:16:3e:00:00:05')]


def test_the_entrypoints_are_registered_with_the_context():
    from novalite import privsep
    for name in ('metadata_rules', 'add_metadata_rule',
                 'delete_metadata_rule', 'metadata_rule_packets',
                 'dhcp_release'):
        assert privsep.sys_admin_pctxt.is_entrypoint(getattr(priv_net, name))
    assert not privsep.sys_admin_pctxt.is_entrypoint(priv_net._iptables)
