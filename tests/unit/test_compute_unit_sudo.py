"""systemd/novalite-compute.service lets sudo start the privsep helper.

Regression: the unit had LockPersonality=, ProtectKernelTunables=,
ProtectKernelModules= and RestrictSUIDSGID=, each of which makes systemd
set no_new_privs for a service with User= (systemd.exec, NoNewPrivileges=),
so sudo refused to run the helper as root and novalite-compute could
neither add the metadata redirect nor release DHCP leases. Found by
tools/fresh-machine-check.sh, the first run of the units under systemd.
"""

import configparser
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNIT = os.path.join(REPO, 'systemd', 'novalite-compute.service')
# systemd 252, systemd.exec(5), NoNewPrivileges=
IMPLY_NO_NEW_PRIVILEGES = (
    'DynamicUser', 'LockPersonality', 'MemoryDenyWriteExecute',
    'PrivateDevices', 'ProtectClock', 'ProtectHostname',
    'ProtectKernelLogs', 'ProtectKernelModules', 'ProtectKernelTunables',
    'RestrictAddressFamilies', 'RestrictNamespaces', 'RestrictRealtime',
    'RestrictSUIDSGID', 'SystemCallArchitectures', 'SystemCallFilter',
    'SystemCallLog', 'NoNewPrivileges')
FALSE = ('no', 'false', 'off', '0', '')


def _service():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNIT)
    return parser['Service']


def test_compute_unit_sets_nothing_that_implies_no_new_privileges():
    service = _service()
    assert 'sudo' in open(UNIT).read()      # the reason for the rule
    offending = [k for k in IMPLY_NO_NEW_PRIVILEGES
                 if service.get(k, '').strip().lower() not in FALSE]
    assert offending == []
