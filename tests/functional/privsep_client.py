"""The caller's side of tests/functional/test_privsep.py.

``python -m tests.functional.privsep_client CONF LOG``, run inside the
test's network namespace, monkey-patched like novalite-compute, as a
plain user (the helper starts through ``sudo -n <venv>/bin/privsep-helper
...``) or as root (the same helper without sudo). It does the compute's
privileged work through novalite's entrypoints and prints a JSON report
on its last line.
"""

from novalite import green

green.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from oslo_privsep import capabilities  # noqa: E402

from novalite import conf  # noqa: E402
from novalite.network import linux_net  # noqa: E402
from novalite import privsep  # noqa: E402
from novalite.privsep import console as priv_console  # noqa: E402
from novalite.privsep import linux_net as priv_net  # noqa: E402

BRIDGE, GATEWAY, PORT = 'nlbr0', '10.0.0.1', 8775


def _helper_status(marker):
    """uid and effective capabilities of the privsep daemon: the
    ``privsep-helper`` whose command line holds ``marker``."""
    for pid in filter(str.isdigit, os.listdir('/proc')):
        if int(pid) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmdline = f.read().decode(errors='replace')
            with open('/proc/%s/status' % pid) as f:
                status = dict(line.split(':', 1) for line in f
                              if ':' in line)
        except OSError:
            continue
        if marker in cmdline and 'privsep-helper' in cmdline:
            eff = int(status['CapEff'], 16)
            return {'uid': int(status['Uid'].split()[0]),
                    'caps': sorted(name for value, name in
                                   capabilities.CAPS_BYVALUE.items()
                                   if eff & (1 << value))}
    return None


def _refused(call):
    try:
        call()
    except ValueError:
        return True
    return False


def main():
    conf_file, log_path = sys.argv[1:3]
    conf.CONF(['--config-file', conf_file], project='novalite')
    report = {'uid': os.getuid(), 'euid': os.geteuid()}
    try:
        open(log_path, 'rb').close()
        report['direct_open'] = 'ok'
    except PermissionError:
        report['direct_open'] = 'PermissionError'
    report['added'] = linux_net.ensure_metadata_redirect(
        BRIDGE, GATEWAY, PORT)
    report['added_again'] = linux_net.ensure_metadata_redirect(
        BRIDGE, GATEWAY, PORT)
    report['packets'] = linux_net.metadata_redirect_packets(BRIDGE)
    report['released'] = linux_net.release_dhcp_lease(
        BRIDGE, '10.0.0.5', 'fa:16:3e:00:00:05')
    report['log_tail'] = priv_console.read_console_log(log_path, 6).decode()
    report['refused'] = {
        'outside_path': _refused(lambda: priv_console.read_console_log(
            '/etc/shadow', 100)),
        'dotdot_path': _refused(lambda: priv_console.read_console_log(
            os.path.join(os.path.dirname(log_path), '..', '..', 'x.conf'),
            100)),
        'bridge_option': _refused(lambda: priv_net.add_metadata_rule(
            '-F', GATEWAY, PORT)),
        'address_with_args': _refused(lambda: priv_net.dhcp_release(
            BRIDGE, '10.0.0.5 --help', 'fa:16:3e:00:00:05')),
    }
    report['helper'] = _helper_status(conf_file)
    privsep.sys_admin_pctxt.stop()
    print(json.dumps(report))


if __name__ == '__main__':
    main()
