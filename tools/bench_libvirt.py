#!/usr/bin/env python3
"""Benchmark: what novalite adds on top of libvirt to boot a tiny guest.

In one run, on one throw-away cloud (the e2e harness: real daemons, real
libvirtd, ``virt_type = qemu``), with the same image (the tiny AMI: cached
kernel + ramdisk, a qcow2 overlay as vda) and the same memory:

- raw: ``virDomainCreateXML`` of the domain XML novalite's config model
  renders, on the cloud's network with a DHCP host entry, until the banner
  is in the serial log; then destroyed;
- novalite: ``POST /servers`` until the banner is in the instance's serial
  log (read from the file, as for raw); then ``DELETE`` and wait until the
  server is gone;

``--boots`` each (default 10), interleaved one at a time so drifting host
load hits both alike; p50 / min / max printed. Each boot is also split at
the moment the QEMU process started (from /proc): request -> QEMU started
is what the control plane costs (API, scheduler, conductor, claim, fixed
IP, overlay, define), QEMU started -> banner is the guest's own boot,
identical work in both and the part host load makes noisy. Also the RSS of
each novalite guest's QEMU process at its banner (host memory per tiny
guest). Needs root (it runs tools/install-libvirt.sh and
the guest-image scripts, both idempotent).

    .venv/bin/python tools/bench_libvirt.py [--boots 10] [--json FILE]
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import warnings  # noqa: E402

warnings.filterwarnings('ignore')

from tests.e2e import libvirt_cloud as lc  # noqa: E402
from tests.e2e import libvirt_helpers as lh  # noqa: E402

BANNER_TIMEOUT = 180
_RAW_SEQ = itertools.count()
_NOVA_SEQ = itertools.count()
METADATA = {}  # novalite guests' banner metadata=... counts


def wait_banner(path, timeout=BANNER_TIMEOUT):
    """(monotonic time the banner appeared, its match)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, 'rb') as f:
                found = lh.BANNER_RE.search(f.read().decode('utf-8',
                                                            'replace'))
            if found:
                return time.monotonic(), found
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RuntimeError('no banner in %s within %d s' % (path, timeout))


def process_start(pid):
    """``time.monotonic()`` at which a process started (10 ms steps):
    its age from /proc (both clocks count from boot), taken from now."""
    now = time.monotonic()
    with open('/proc/uptime') as f:
        uptime = float(f.read().split()[0])
    with open('/proc/%d/stat' % pid) as f:
        ticks = int(f.read().rsplit(')', 1)[1].split()[19])
    return now - (uptime - ticks / os.sysconf('SC_CLK_TCK'))


def summary(values):
    return {'p50': round(statistics.median(values), 2),
            'min': round(min(values), 2), 'max': round(max(values), 2),
            'n': len(values)}


def bench_raw(env, boots):
    """Raw libvirt: same XML shape, kernel, ramdisk, memory, network."""
    import libvirt

    from novalite.image import cache as image_cache
    from novalite.network import flat
    from novalite.virt.libvirt import config

    conn = libvirt.open(lc.URI)
    base = os.path.join(env.instances_path, '_base')
    kernel = os.path.join(base, env.images['kernel_id'])
    initrd = os.path.join(base, env.images['ramdisk_id'])
    ami = os.path.join(base, env.images['ami_id'])
    network = flat.FlatNetwork(env.network_name, env.bridge, env.cidr)
    times, to_qemu = [], []
    for _ in range(boots):
        i = next(_RAW_SEQ)
        name = '%sraw-%d' % (env.domain_prefix, i)
        work = os.path.join(env.instances_path, 'raw-%d' % i)
        os.makedirs(work, mode=0o755)
        disk = os.path.join(work, 'disk')
        image_cache.create_overlay(ami, disk, 1, 'ami')
        log = os.path.join(work, 'console.log')
        mac = 'fa:16:3e:fe:00:%02x' % i
        ip = env.prefix + str(200 + i)
        network.add_host(conn, mac, ip, 'raw-%d' % i)
        guest = config.Guest('qemu', name, str(uuid.uuid4()),
                             lc.FLAVOR_RAM_MB, 1, kernel=kernel,
                             initrd=initrd,
                             cmdline='root=/dev/vda console=tty0 '
                                     'console=ttyS0', tb_cache_mb=16)
        guest.add_device(config.GuestDisk(disk))
        guest.add_device(config.GuestInterface(env.network_name, mac))
        guest.add_device(config.GuestSerialConsole(log))
        guest.add_device(config.GuestConsole())
        guest.add_device(config.GuestVnc('127.0.0.1'))
        xml = guest.to_xml()
        start = time.monotonic()
        dom = conn.createXML(xml, 0)
        try:
            qemu = process_start(lh.qemu_pid(name)) - start
            banner_at, banner = wait_banner(log)
            assert banner.group('ip') == ip, banner.group(0)
            times.append(banner_at - start)
            to_qemu.append(qemu)
        finally:
            dom.destroy()
            network.remove_hosts(conn, [mac])
        print('raw boot %d: %.2f s (QEMU started after %.2f s)'
              % (i, times[-1], qemu), flush=True)
    conn.close()
    return times, to_qemu


def bench_novalite(env, boots):
    times, to_qemu, rss = [], [], []
    for _ in range(boots):
        i = next(_NOVA_SEQ)
        start = time.monotonic()
        server_id = env.boot('bench-%d' % i)
        log = os.path.join(env.instances_path, server_id, 'console.log')
        banner_at, banner = wait_banner(log)
        times.append(banner_at - start)
        pid = lh.qemu_pid(env.domain_name(server_id))
        to_qemu.append(process_start(pid) - start)
        rss.append(lh.rss_mib(pid))
        server = env.api.wait_status(server_id, 'ACTIVE', timeout=60)
        # the guest got its own fixed IP (a lease left behind by a deleted
        # guest would make it boot with ip=none, slowly)
        assert banner.group('ip') == env.fixed_ip(server)[0], \
            banner.group(0)
        METADATA[banner.group('metadata')] = METADATA.get(
            banner.group('metadata'), 0) + 1
        env.api('DELETE', '/servers/%s' % server_id, expect=204)
        env.api.wait_gone(server_id)
        print('novalite boot %d: %.2f s (QEMU started after %.2f s, RSS '
              '%.0f MiB)' % (i, times[-1], to_qemu[-1], rss[-1]), flush=True)
    return times, to_qemu, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--boots', type=int, default=10)
    parser.add_argument('--json', help='write the figures here too')
    args = parser.parse_args()
    virt_type, _ = lh.prepare_host()
    env = lc.LibvirtCloud()
    try:
        env.start()
        # warm the base-image cache and the page cache once, uncounted
        bench_novalite(env, 1)
        # interleave so drifting host load hits both alike
        raw, raw_qemu, nova, nova_qemu, rss = [], [], [], [], []
        for _ in range(args.boots):
            t, q = bench_raw(env, 1)
            raw += t
            raw_qemu += q
            t, q, r = bench_novalite(env, 1)
            nova += t
            nova_qemu += q
            rss += r
    finally:
        env.cleanup()
    figures = {
        'raw_libvirt_create_to_banner_s': summary(raw),
        'novalite_post_to_banner_s': summary(nova),
        'novalite_overhead_p50_s': round(statistics.median(nova) -
                                         statistics.median(raw), 2),
        # request -> QEMU process started: what the control plane adds,
        # without the guest's boot (which host load makes noisy)
        'raw_create_to_qemu_started_s': summary(raw_qemu),
        'novalite_post_to_qemu_started_s': summary(nova_qemu),
        'control_plane_overhead_p50_s': round(
            statistics.median(nova_qemu) - statistics.median(raw_qemu), 2),
        'qemu_rss_mib_at_banner': summary(rss),
        'novalite_guest_metadata': METADATA,
        'memory_mb': lc.FLAVOR_RAM_MB, 'virt_type': 'qemu',
        'host_virt_type': virt_type,
        'load_avg_1m_at_end': round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(figures, f, indent=1)


if __name__ == '__main__':
    main()
