"""Host preparation and small libvirt helpers for tests that boot the tiny
guest on the real libvirtd.

:func:`prepare_host` runs ``tools/install-libvirt.sh`` and
``tools/build-guest-image.sh`` (both idempotent) and turns a failure that
comes from the environment (not root, Debian's archive unreachable) into a
skip with the reason; any other failure fails the test.
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GUEST_IMAGE_DIR = os.environ.get('NOVALITE_GUEST_IMAGE_DIR',
                                 '/var/lib/novalite/guest-image')
URI = 'qemu:///system'

# tools/guest-image/README.md
BANNER_RE = re.compile(r'novalite tiny guest: hostname=(?P<hostname>\S+) '
                       r'ip=(?P<ip>\S+) gw=(?P<gw>\S+) '
                       r'metadata=(?P<metadata>\S+)')

_ENVIRONMENTAL = ('Failed to fetch', 'Temporary failure resolving',
                  'Could not resolve', 'Unable to fetch some archives',
                  'Network is unreachable', 'must run as root')


def _run_tool(name, *args):
    proc = subprocess.run([os.path.join(REPO_ROOT, 'tools', name)] +
                          list(args), capture_output=True, text=True,
                          timeout=1200)
    if proc.returncode == 0:
        return proc.stdout
    output = proc.stdout + proc.stderr
    for marker in _ENVIRONMENTAL:
        if marker in output:
            pytest.skip('%s failed for an environmental reason (%s): %s'
                        % (name, marker, output.strip()[-400:]))
    pytest.fail('%s failed (exit %d):\n%s' % (name, proc.returncode,
                                              output[-3000:]))


def prepare_host():
    """Install libvirt + QEMU, build the tiny guest.

    :returns: (virt_type chosen by install-libvirt.sh, guest image dir)
    """
    if os.geteuid() != 0:
        pytest.skip('libvirt tests need root: they install libvirt and '
                    'manage system domains')
    out = _run_tool('install-libvirt.sh', '--venv', sys.prefix)
    virt_type = out.strip().splitlines()[-1].split('=', 1)[1]
    _run_tool('build-guest-image.sh', GUEST_IMAGE_DIR)
    return virt_type, GUEST_IMAGE_DIR


def owned_name(prefix):
    """``<prefix>-<pid>-<random>``: names this process's libvirt objects so
    :func:`sweep_stale` can tell leftovers of a dead run from live ones."""
    return '%s-%d-%s' % (prefix, os.getpid(), uuid.uuid4().hex[:6])


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep_stale(conn, prefixes=('nltest', 'nlbench')):
    """Remove domains, networks and work directories that a test or
    benchmark run killed before its clean-up (SIGKILL, a CI timeout) left
    behind: only those named by :func:`owned_name` for a process that no
    longer exists."""
    pattern = re.compile(r'^(%s)-(\d+)-' % '|'.join(prefixes))

    def stale(name):
        match = pattern.match(name)
        return match is not None and not _pid_alive(int(match.group(2)))
    # (a transient object is gone once destroyed: ask before)
    for obj in conn.listAllDomains() + conn.listAllNetworks():
        if stale(obj.name()):
            persistent = obj.isPersistent()
            if obj.isActive():
                obj.destroy()
            if persistent:
                obj.undefine()
    tmp = tempfile.gettempdir()
    for entry in os.listdir(tmp):
        if entry.startswith(('nl-guest-e2e-', 'nl-bench-')):
            parts = entry.split('-')
            pid = next((int(p) for p in parts if p.isdigit()), None)
            if pid is not None and not _pid_alive(pid):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)


def workdir(prefix):
    """A temporary directory QEMU (libvirt-qemu) can read, named for
    :func:`sweep_stale`."""
    path = tempfile.mkdtemp(prefix='%s-%d-' % (prefix, os.getpid()))
    os.chmod(path, 0o755)
    return path


def random_mac():
    return '52:54:00:%02x:%02x:%02x' % tuple(random.randrange(256)
                                             for _ in range(3))


def create_nat_network(conn, name, bridge, host_entries=()):
    """A transient NAT network with DHCP on a free 10.x.y.0/24.

    :param host_entries: (mac, name, last octet) DHCP host entries.
    :returns: (network, gateway ip, "10.x.y." prefix)
    """
    import libvirt
    last_error = None
    for _ in range(8):
        prefix = '10.%d.%d.' % (random.randrange(100, 250),
                                random.randrange(1, 255))
        hosts = ''.join("<host mac='%s' name='%s' ip='%s%d'/>"
                        % (mac, host, prefix, octet)
                        for mac, host, octet in host_entries)
        xml = """
<network>
  <name>%(name)s</name>
  <forward mode='nat'/>
  <bridge name='%(bridge)s' stp='off' delay='0'/>
  <ip address='%(prefix)s1' netmask='255.255.255.0'>
    <dhcp>
      <range start='%(prefix)s100' end='%(prefix)s200'/>
      %(hosts)s
    </dhcp>
  </ip>
</network>""" % {'name': name, 'bridge': bridge, 'prefix': prefix,
                 'hosts': hosts}
        try:
            return conn.networkCreateXML(xml), prefix + '1', prefix
        except libvirt.libvirtError as exc:
            last_error = exc
            if 'in use' not in str(exc):
                raise
    raise last_error


def tiny_domain_xml(name, serial_log, disk, mac, network, kernel=None,
                    initrd=None, memory_mib=96, cmdline_extra=''):
    """A ``<domain type='qemu'>`` for the tiny guest: TCG with a 16 MiB
    translation-block cache, the qcow2 ``disk`` as vda, a virtio NIC on
    libvirt ``network``, the serial console to ``serial_log``. With
    ``kernel``/``initrd``: direct kernel boot (AKI/ARI); else the disk's
    own boot loader."""
    if kernel:
        boot = ('<kernel>%s</kernel><initrd>%s</initrd><cmdline>root=/dev/vda'
                ' console=tty0 console=ttyS0 %s</cmdline>'
                % (kernel, initrd, cmdline_extra))
    else:
        boot = "<boot dev='hd'/>"
    return """
<domain type='qemu'>
  <name>%(name)s</name>
  <memory unit='MiB'>%(mem)d</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>%(boot)s</os>
  <features><acpi/><tcg><tb-cache unit='MiB'>16</tb-cache></tcg></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='%(disk)s'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='%(network)s'/>
      <mac address='%(mac)s'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='%(log)s'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>""" % {'name': name, 'mem': memory_mib, 'boot': boot, 'disk': disk,
                'network': network, 'mac': mac, 'log': serial_log}


def wait_for_banner(log_path, timeout, after=0):
    """Wait until the serial log holds a banner line (the ``after``-th and
    later occurrences only). :returns: (match, seconds waited) or
    (None, timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with open(log_path, 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            text = ''
        matches = list(BANNER_RE.finditer(text))
        if len(matches) > after:
            return matches[after], time.monotonic() - start
        time.sleep(0.05)
    return None, timeout


def qemu_pid(domain_name):
    with open('/run/libvirt/qemu/%s.pid' % domain_name) as f:
        return int(f.read().strip())


def rss_mib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return None
