#!/usr/bin/env python3
"""Raw libvirt boot benchmark of the tiny guest (not a test).

Boots the tiny guest ``--count`` times straight through libvirt-python
(``createXML`` of a transient ``<domain type='qemu'>``, the same XML the
e2e test uses) and reports, per boot: ``createXML`` latency, create ->
serial banner, and the QEMU process's RSS when the banner appears; then
p50 / min / max. ``--parallel K`` starts K guests at once per round (boot
time under contention, host memory per guest). The baseline novalite's
API -> banner figure is compared with.

Needs root; runs tools/install-libvirt.sh and tools/build-guest-image.sh
first (both idempotent). Creates and removes its own NAT network, overlay
disks and domains.

    tools/bench_guest_boot.py --count 10
    tools/bench_guest_boot.py --count 2 --parallel 10 --memory 72
    tools/bench_guest_boot.py --boot disk --json
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from novalite.image import cache as image_cache  # noqa: E402
from tests.e2e import libvirt_helpers as lh  # noqa: E402


def _tool(name, *args):
    proc = subprocess.run([os.path.join(REPO, 'tools', name)] + list(args),
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit('%s failed:\n%s' % (name, proc.stderr[-2000:]))
    return proc.stdout


def _summary(values):
    values = sorted(values)
    return {'p50': round(statistics.median(values), 2),
            'min': round(values[0], 2), 'max': round(values[-1], 2)}


def _cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _round(conn, args, network, workdir, tag, index):
    """Start ``args.parallel`` guests at once, wait for every banner."""
    img = args.image_dir
    guests = []
    for k in range(args.parallel):
        name = '%s-%d-%d' % (tag, index, k)
        disk = os.path.join(workdir, name + '.qcow2')
        log = os.path.join(workdir, name + '.log')
        if args.boot == 'kernel':
            image_cache.create_overlay(os.path.join(img, 'disk.raw'), disk,
                                       1, 'raw')
            xml = lh.tiny_domain_xml(
                name, log, disk, lh.random_mac(), network,
                os.path.join(img, 'vmlinuz'),
                os.path.join(img, 'initrd.img'), args.memory,
                '' if args.metadata else 'novalite.metadata=0')
        else:
            image_cache.create_overlay(os.path.join(img, 'disk.qcow2'),
                                       disk, 1, 'qcow2')
            xml = lh.tiny_domain_xml(name, log, disk, lh.random_mac(),
                                     network, memory_mib=args.memory)
        guests.append((name, log, xml))
    results, doms = [], []
    try:
        starts = {}
        for name, log, xml in guests:
            starts[name] = time.monotonic()
            doms.append(conn.createXML(xml, 0))
            starts[name + ':defined'] = time.monotonic()
        for name, log, _ in guests:
            remaining = args.timeout - (time.monotonic() - starts[name])
            match, _ = lh.wait_for_banner(log, max(remaining, 0))
            if match is None:
                with open(log, 'rb') as f:
                    tail = f.read()[-1500:].decode('utf-8', 'replace')
                sys.exit('%s printed no banner within %d s; serial log '
                         'ends:\n%s' % (name, args.timeout, tail))
            results.append({
                'create_s': starts[name + ':defined'] - starts[name],
                'banner_s': time.monotonic() - starts[name],
                'rss_mib': lh.rss_mib(lh.qemu_pid(name)),
                'ip': match.group('ip')})
        if args.settle:
            pids = [lh.qemu_pid(name) for name, _, _ in guests]
            before = [_cpu_seconds(pid) for pid in pids]
            time.sleep(args.settle)
            for result, pid, cpu in zip(results, pids, before):
                result['rss_settled_mib'] = lh.rss_mib(pid)
                result['idle_cpu_pct'] = 100.0 * (
                    _cpu_seconds(pid) - cpu) / args.settle
    finally:
        for dom in doms:
            try:
                dom.destroy()
            except Exception:       # already gone
                pass
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=10,
                        help='rounds (default 10)')
    parser.add_argument('--parallel', type=int, default=1,
                        help='guests started at once per round')
    parser.add_argument('--memory', type=int, default=96, help='MiB')
    parser.add_argument('--boot', choices=('kernel', 'disk'),
                        default='kernel',
                        help='direct kernel boot (AKI/ARI/AMI) or the disk '
                             "image's own boot loader")
    parser.add_argument('--no-metadata', dest='metadata',
                        action='store_false',
                        help='novalite.metadata=0: skip the metadata '
                             'attempt (kernel boot only)')
    parser.add_argument('--settle', type=float, default=0,
                        help='then idle this many seconds and measure RSS '
                             'and CPU use of the idle guests')
    parser.add_argument('--timeout', type=int, default=120)
    parser.add_argument('--image-dir', default=lh.GUEST_IMAGE_DIR)
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root')

    t0 = time.monotonic()
    _tool('install-libvirt.sh', '--venv', sys.prefix)
    _tool('build-guest-image.sh', args.image_dir)
    prepare_s = time.monotonic() - t0
    import libvirt
    conn = libvirt.open(lh.URI)
    lh.sweep_stale(conn)
    tag = lh.owned_name('nlbench')      # nlbench-<pid>-<hex>
    net, _, _ = lh.create_nat_network(conn, tag,
                                      'nlb' + tag.rsplit('-', 1)[1])
    workdir = lh.workdir('nl-bench')
    results = []
    try:
        for index in range(args.count):
            results.extend(_round(conn, args, net.name(), workdir, tag,
                                  index))
    finally:
        net.destroy()
        conn.close()
        shutil.rmtree(workdir, ignore_errors=True)

    report = {
        'boot': args.boot, 'memory_mib': args.memory,
        'parallel': args.parallel, 'boots': len(results),
        'metadata_attempt': args.metadata, 'prepare_s': round(prepare_s, 1),
        'createXML_s': _summary([r['create_s'] for r in results]),
        'create_to_banner_s': _summary([r['banner_s'] for r in results]),
        'qemu_rss_at_banner_mib': _summary([r['rss_mib'] for r in results]),
        'load_average': os.getloadavg(),
    }
    if args.settle:
        report['qemu_rss_settled_mib'] = _summary(
            [r['rss_settled_mib'] for r in results])
        report['idle_cpu_pct_of_a_core'] = _summary(
            [r['idle_cpu_pct'] for r in results])
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key, value in report.items():
            print('%-24s %s' % (key, value))
    return 0


if __name__ == '__main__':
    sys.exit(main())
