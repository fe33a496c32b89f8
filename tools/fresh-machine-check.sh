#!/bin/bash
# README command 1 on a fresh machine: boot a freshly debootstrapped Debian 12
# with systemd as PID 1 in a container, run tools/stack.sh there from a clean
# git clone, check the result (with --tests, run command 2, tools/run-tests.sh,
# there too), take it down again and remove the container.
#
# Usage: tools/fresh-machine-check.sh [--browser] [--tests] [--ref REF]
#                                      [--refresh] [--keep] [--clean]
#   --browser   also open the printed console URL in headless Chromium (this
#               host's /usr/bin/chromium driven by Playwright from the repo's
#               .venv, run in the container's network namespace) and require
#               the guest's screen on it; the screenshot goes to
#               test-artifacts/fresh-machine-console.png
#   --tests     then README command 2 as well: tools/run-tests.sh as root
#               from the same clone, beside the running stack; its pytest
#               summary lines (unit, functional, e2e) and exit status are
#               reported and it must pass (about 20 more minutes)
#   --ref REF   the commit to clone [HEAD]; uncommitted changes never reach
#               the fresh machine
#   --refresh   build the cached root filesystem and repositories again
#   --keep      leave the machine running after the checks of stack.sh
#               (and of run-tests.sh with --tests; no unstack.sh), to look
#               around in it or run single tests again; the next run or
#               --clean removes it
#   --clean     only remove what earlier runs left, then exit
#
# The machine (systemd-nspawn --boot, --private-network: its own loopback
# and nothing else; no /dev/kvm, so QEMU runs as TCG):
#   - a Debian 12 root from `debootstrap bookworm` (default variant): none of
#     RabbitMQ, MariaDB, libvirt, Python's venv, npm, sudo or git;
#   - its apt source is a local flat repository holding what the project's
#     scripts install on such a machine (PACKAGES below, resolved with their
#     dependencies against the root's dpkg status), from the Debian mirror;
#   - its pip source is a local wheelhouse (/etc/pip.conf: no-index,
#     find-links) with the project's requirements (the test extra too),
#     libvirt-python's sdist and Playwright (install-browser.sh);
#   - its npm runs --offline from a cache holding @novnc/novnc.
# Those three stand in for the network the machine does not have; nothing
# else is changed on it. Inside, as root in a clean environment:
#   apt-get install git; git clone; tools/stack.sh; tools/unstack.sh --purge
# and the check requires stack.sh to succeed under systemd, the six
# novalite-*.service units active, the demo server ACTIVE, a console URL
# printed and the metadata DNAT rule made by the compute's privsep helper,
# a second stack.sh to keep the same demo server, with --tests
# tools/run-tests.sh to pass, then unstack.sh to succeed with no novalite
# unit left.
#
# Cached in $NOVALITE_FRESH_DIR [/var/tmp/novalite-fresh], reused by the next
# run (delete the directory to drop it, ~1 GB): rootfs/ (never booted
# itself: each run boots an overlay on it), repo/, wheels/, npm-cache/.
# A run's own files (run.<pid>/) are removed at its end, a killed run's by
# the next run; the logs of the last run stay in last/.
#
# Environment: NOVALITE_FRESH_DIR; NOVALITE_FRESH_MIRROR Debian mirror
# [http://deb.debian.org/debian]; NOVALITE_FRESH_TIMEOUT seconds for
# stack.sh inside [1500]; NOVALITE_FRESH_TESTS_TIMEOUT seconds for
# run-tests.sh inside [5400].
#
# Host requirements: root, Debian 12 (debootstrap, systemd-container,
# dpkg-dev and git are installed when missing), overlayfs, npm. PID 1 of the
# host need not be systemd. The host's network, firewall, RabbitMQ and
# MariaDB are not touched.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
FRESH=${NOVALITE_FRESH_DIR:-/var/tmp/novalite-fresh}
MIRROR=${NOVALITE_FRESH_MIRROR:-http://deb.debian.org/debian}
STACK_TIMEOUT=${NOVALITE_FRESH_TIMEOUT:-1500}
TESTS_TIMEOUT=${NOVALITE_FRESH_TESTS_TIMEOUT:-5400}
SUITE=bookworm
HOSTNAME_IN=novalite-fresh
# what tools/install-deps.sh, install-libvirt.sh, install-novnc.sh and
# build-guest-image.sh install on a fresh machine, and git for the clone:
# a package they come to need must be added here (the check then fails
# with apt's "Unable to locate package ...")
PACKAGES=(rabbitmq-server mariadb-server mariadb-client python3-venv sudo
          libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
          qemu-system-x86 qemu-utils dnsmasq-base iptables dnsmasq-utils
          gcc python3-dev npm cpio syslinux syslinux-common mtools
          dosfstools git)
# and what tools/run-tests.sh adds (install-deps.sh runs install-browser.sh
# unless NOVALITE_SKIP_BROWSER is set, as stack.sh sets it); always in the
# repository, installed only by --tests
TEST_PACKAGES=(chromium)
# the wheelhouse: what pip installs besides `novalite[test]` (libvirt-python
# by install-libvirt.sh, playwright by install-browser.sh; setuptools and
# wheel to build novalite itself), as those scripts spell them
WHEELS=(libvirt-python 'playwright>=1.40' setuptools wheel)
# fetched, never installed, by build-guest-image.sh (apt-get download)
DOWNLOADS=(linux-image-cloud-amd64 busybox-static)
UNITS=(conductor compute scheduler consoleauth novncproxy api)
UNITS=("${UNITS[@]/#/novalite-}"); UNITS=("${UNITS[@]/%/.service}")
IN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

browser=0 tests=0 ref=HEAD refresh=0 keep=0 clean=0
while [ $# -gt 0 ]; do
    case "$1" in
        --browser) browser=1; shift ;;
        --tests) tests=1; shift ;;
        --ref) ref=$2; shift 2 ;;
        --refresh) refresh=1; shift ;;
        --keep) keep=1; shift ;;
        --clean) clean=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--browser] [--tests] [--ref REF] [--refresh] [--keep] [--clean]" >&2
           exit 2 ;;
    esac
done

T0=$(date +%s.%N)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "fresh-check: $*"; }
stage() { printf 'fresh-check: [%6.1fs] %s\n' "$(since "$T0")" "$*"; }
die() { echo "fresh-check: ERROR: $*" >&2; exit 1; }
declare -A took=()

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, mounts, systemd-nspawn)"
mkdir -p "$FRESH"
FRESH=$(cd "$FRESH" && pwd)
exec 8>"$FRESH/lock"
flock -w 3600 8 || die "another check holds $FRESH/lock"

# --- host tools -------------------------------------------------------------

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v dpkg-scanpackages >/dev/null || need+=(dpkg-dev)
command -v git >/dev/null || need+=(git)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    stage "installing ${need[*]} on this host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${need[@]}" >/dev/null \
        || { apt-get update -q >/dev/null
             DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                 --no-install-recommends "${need[@]}" >/dev/null; }
fi
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null \
    || die "no overlayfs in this kernel"

# --- what a killed run left -----------------------------------------------------

teardown_run() {  # RUN_DIR: stop its container, unmount, remove
    local run=$1 pid i
    pid=$(cat "$run/nspawn.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qs "$run/root" "/proc/$pid/cmdline"; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    for i in $(seq 20); do
        mountpoint -q "$run/root" || break
        umount "$run/root" 2>/dev/null || umount -l "$run/root" || true
        sleep 0.2
    done
    mountpoint -q "$run/root" && { echo "fresh-check: cannot unmount $run/root" >&2; return 1; }
    rm -rf "$run"
}
for old in "$FRESH"/run.*; do
    [ -d "$old" ] || continue
    owner=${old##*.}
    kill -0 "$owner" 2>/dev/null && continue
    stage "removing $old (its run is gone)"
    teardown_run "$old"
done
[ $clean = 0 ] || exit 0

# --- the cached root filesystem ---------------------------------------------------

if [ $refresh = 1 ] || [ ! -x "$FRESH/rootfs/usr/lib/systemd/systemd" ]; then
    stage "debootstrap $SUITE into $FRESH/rootfs"
    t=$(now)
    rm -rf "$FRESH/rootfs.new"
    debootstrap "$SUITE" "$FRESH/rootfs.new" "$MIRROR" >"$FRESH/debootstrap.log" 2>&1 \
        || { tail -20 "$FRESH/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$FRESH/rootfs"
    mv "$FRESH/rootfs.new" "$FRESH/rootfs"
    rm -f "$FRESH/repo.stamp"
    took[debootstrap]=$(since "$t")
fi

# --- the local apt repository -----------------------------------------------------

# apt with lists, cache and sources of its own, resolving against the
# fresh root's dpkg status
apt_host() { APT_CONFIG=$FRESH/apt/apt.conf apt-get -q "$@"; }
apt_cache_host() { APT_CONFIG=$FRESH/apt/apt.conf apt-cache "$@"; }
build_repo() {
    local a=$FRESH/apt deb kpkg
    rm -rf "$a" "$FRESH/repo.new"
    mkdir -p "$a/etc/sources.list.d" "$a/etc/preferences.d" "$a/etc/apt.conf.d" \
        "$a/lists/partial" "$a/state" "$a/cache/archives/partial" "$FRESH/repo.new"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    local security=${MIRROR%/debian}/debian-security
    {
        echo "deb [signed-by=$key] $MIRROR $SUITE main"
        echo "deb [signed-by=$key] $MIRROR $SUITE-updates main"
        echo "deb [signed-by=$key] $security $SUITE-security main"
    } >"$a/etc/sources.list"
    cat >"$a/apt.conf" <<EOF
Dir::Etc "$a/etc";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d";
Dir::Etc::preferencesparts "preferences.d";
Dir::Etc::parts "apt.conf.d";
Dir::State "$a/state";
Dir::State::lists "$a/lists";
Dir::State::status "$FRESH/rootfs/var/lib/dpkg/status";
Dir::Cache "$a/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
Debug::NoLocking "true";
EOF
    apt_host update >/dev/null
    apt_host install -y --download-only --no-install-recommends \
        "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" >"$a/download.log"
    kpkg=$(apt_cache_host show --no-all-versions linux-image-cloud-amd64 2>/dev/null \
        | sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-cloud-amd64\).*/\1/p' | head -1)
    [ -n "$kpkg" ] || die "no kernel package behind linux-image-cloud-amd64"
    (cd "$a/cache/archives" && apt_host download "${DOWNLOADS[@]}" "$kpkg" >/dev/null)
    mv "$a"/cache/archives/*.deb "$FRESH/repo.new/"
    (cd "$FRESH/repo.new" && dpkg-scanpackages -m . 2>/dev/null >Packages \
        && gzip -k9 Packages)
    rm -rf "$FRESH/repo" "$a/cache"
    mv "$FRESH/repo.new" "$FRESH/repo"
}
repo_want=$( (printf '%s\n' "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${DOWNLOADS[@]}"
              cat "$FRESH/rootfs/var/lib/dpkg/status") | sha256sum | cut -c1-16)
if [ $refresh = 1 ] || [ "$(cat "$FRESH/repo.stamp" 2>/dev/null)" != "$repo_want" ]; then
    stage "local apt repository: $((${#PACKAGES[@]} + ${#TEST_PACKAGES[@]})) packages and their dependencies"
    t=$(now)
    build_repo
    echo "$repo_want" >"$FRESH/repo.stamp"
    took[repo]=$(since "$t")
    say "    $(ls "$FRESH/repo" | grep -c '\.deb$') .deb files, $(du -sh "$FRESH/repo" | cut -f1)"
fi

# --- this run: a clean clone -----------------------------------------------------

RUN=$FRESH/run.$$
MACHINE=nlfresh-$$
mkdir -p "$RUN/upper" "$RUN/work" "$RUN/root"
NSPAWN=''
done_ok=0
cleanup() {
    local rc=$?
    [ -d "$RUN" ] || return $rc
    if [ $done_ok = 0 ] && [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
        save_logs || true
    fi
    teardown_run "$RUN" || true
    return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRC=$RUN/src
git clone -q --no-hardlinks "$REPO" "$SRC"
git -C "$SRC" checkout -q --detach "$ref"
commit=$(git -C "$SRC" rev-parse HEAD)
stage "clone of $REPO at ${commit:0:12}"

# --- the wheelhouse and the npm cache -------------------------------------------

# Debian's own Python, the one the fresh machine gets: requirements with
# markers (python_full_version < "3.11.3") resolve as they will there
host_python=/usr/bin/python3
wheels_want=$( ("$host_python" -V; printf '%s\n' "${WHEELS[@]}"
                cat "$SRC/setup.cfg" "$SRC/pyproject.toml") \
    | sha256sum | cut -c1-16)
if [ $refresh = 1 ] || [ "$(cat "$FRESH/wheels.stamp" 2>/dev/null)" != "$wheels_want" ]; then
    stage "wheelhouse: novalite's requirements and ${WHEELS[*]}"
    t=$(now)
    rm -rf "$FRESH/wheels.new"
    "$host_python" -m pip download -q --disable-pip-version-check \
        -d "$FRESH/wheels.new" "$SRC[test]" "${WHEELS[@]}" \
        >"$RUN/pip-download.log" 2>&1 \
        || { tail -20 "$RUN/pip-download.log" >&2; die "pip download failed"; }
    rm -rf "$FRESH/wheels"
    mv "$FRESH/wheels.new" "$FRESH/wheels"
    echo "$wheels_want" >"$FRESH/wheels.stamp"
    took[wheels]=$(since "$t")
fi
novnc_version=$(sed -n 's/^VERSION=\${NOVNC_VERSION:-\([^}]*\)}$/\1/p' \
    "$SRC/tools/install-novnc.sh")
[ -n "$novnc_version" ] || die "no noVNC version in tools/install-novnc.sh"
if [ "$(cat "$FRESH/npm.stamp" 2>/dev/null)" != "$novnc_version" ]; then
    stage "npm cache: @novnc/novnc@$novnc_version"
    rm -rf "$FRESH/npm-cache"
    npm cache add --cache "$FRESH/npm-cache" --loglevel=error \
        "@novnc/novnc@$novnc_version"
    echo "$novnc_version" >"$FRESH/npm.stamp"
fi

# --- the machine -------------------------------------------------------------------

mount -t overlay overlay -o "lowerdir=$FRESH/rootfs,upperdir=$RUN/upper,workdir=$RUN/work" \
    "$RUN/root"
R=$RUN/root
echo "$HOSTNAME_IN" >"$R/etc/hostname"
# as the Debian installer writes it: the host's name resolves (RabbitMQ's
# node name rabbit@<hostname> needs it)
printf '127.0.1.1\t%s\n' "$HOSTNAME_IN" >>"$R/etc/hosts"
echo 'deb [trusted=yes] file:/srv/novalite-fresh/repo ./' >"$R/etc/apt/sources.list"
printf '[global]\nno-index = true\nfind-links = /srv/novalite-fresh/wheels\n' \
    >"$R/etc/pip.conf"
mkdir -p "$R/var/cache/novalite-fresh"
cp -a "$FRESH/npm-cache" "$R/var/cache/novalite-fresh/npm"
printf 'cache=/var/cache/novalite-fresh/npm\noffline=true\n' >"$R/root/.npmrc"
cp -a "$SRC" "$R/srv/novalite.git-src"
install -d -m 1777 "$RUN/tmp"

stage "booting $MACHINE (systemd-nspawn, private network)"
t=$(now)
# cgroup v2 in the machine: the host's controllers are all on v1
# hierarchies, which systemd-nspawn mounts read-only, and libvirt then fails
# every domain start ("Failed to create v1 controller cpu for group:
# Read-only file system"); on a writable cgroup2 without controllers both
# systemd and libvirt run, the guests without resource controls.
#
# /tmp on disk, as Debian 12 has it: systemd-nspawn mounts a tmpfs of 10%
# of the host's memory there otherwise, and the libvirt tests'
# instances_path (a tempfile directory) then runs out of the disk their
# flavors claim (NoValidHost). A directory of this run, not the root's own
# /tmp: nspawn resolves a bind's source after it has mounted that tmpfs.
#
# Nothing else beyond systemd-nspawn's defaults, also for run-tests.sh.
# The machine's services (libvirtd and its QEMU guests, MariaDB, RabbitMQ,
# the novalite units) run under its default capability set, to which
# --private-network adds CAP_NET_ADMIN (the bridge, the guests' taps on
# /dev/net/tun, which it provides, iptables); what this script runs in
# the machine (stack.sh, run-tests.sh and the daemons and helpers tests
# start: network namespaces, veths, mounts, sudo, useradd) enters it with
# nsenter and keeps the capabilities of the root that runs this script,
# as a root login on a real machine would have them. No /dev/kvm: QEMU
# runs as TCG, as on the host.
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
setsid systemd-nspawn -q -D "$R" -M "$MACHINE" --hostname="$HOSTNAME_IN" \
    --boot --private-network --register=no --keep-unit --console=passive \
    --bind="$RUN/tmp:/tmp" \
    --bind-ro="$FRESH/repo:/srv/novalite-fresh/repo" \
    --bind-ro="$FRESH/wheels:/srv/novalite-fresh/wheels" \
    </dev/null >"$RUN/nspawn.log" 2>&1 8>&- &
NSPAWN=$!
echo "$NSPAWN" >"$RUN/nspawn.pid"
LEADER=''
for _ in $(seq 100); do
    # the container's PID 1, once it has become systemd
    LEADER=$(cat "/proc/$NSPAWN/task/$NSPAWN/children" 2>/dev/null | awk '{ print $1 }')
    [ -n "$LEADER" ] && [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" = systemd ] && break
    LEADER=''
    kill -0 "$NSPAWN" 2>/dev/null || { cat "$RUN/nspawn.log" >&2; die "systemd-nspawn exited"; }
    sleep 0.1
done
[ -n "$LEADER" ] || die "no container leader process"

inside() {  # CMD...: as root in the machine, in a clean login-like environment
    nsenter -t "$LEADER" -a -- env -i PATH="$IN_PATH" HOME=/root \
        LANG=C.UTF-8 TERM=dumb LOGNAME=root USER=root SHELL=/bin/bash \
        "$@" 8>&-
}
save_logs() {
    local last=$FRESH/last
    rm -rf "$last"; mkdir -p "$last"
    cp "$RUN"/*.log "$last/" 2>/dev/null || true
    inside journalctl -b --no-pager >"$last/journal.txt" 2>&1 || true
    inside bash -c 'tar -C /var/log -cf - novalite 2>/dev/null' \
        | tar -C "$last" -xf - 2>/dev/null || true
    say "logs of this run: $last"
}

tests_summary() {  # LOG: "<layer>: <pytest's last line>" per layer run-tests.sh ran
    awk '/^run-tests: === .* ===$/ { layer = $3; order[++n] = layer; next }
         layer != "" && /^=+ .* in [0-9.]+s/ {
             line = $0; gsub(/^=+ | =+$/, "", line); last[layer] = line }
         END { for (i = 1; i <= n; i++)
                   printf "%s: %s\n", order[i], (order[i] in last) ? last[order[i]] : "no summary" }' "$1"
}

state=''
for _ in $(seq 120); do   # systemctl fails at once until systemd listens
    state=$(inside timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
    case "$state" in running|degraded|maintenance|stopping) break ;; esac
    sleep 1
done
took[boot]=$(since "$t")
say "    systemd in the machine: $state (${took[boot]}s)"
case "$state" in
    running) ;;
    degraded) inside systemctl --failed --no-pager --no-legend | sed 's/^/    failed: /' ;;
    *) die "systemd in the container did not come up ($state)" ;;
esac
[ "$(inside cat /proc/1/comm)" = systemd ] || die "PID 1 in the machine is not systemd"

# --- README command 1 ---------------------------------------------------------

stage "git clone (as a user of the fresh machine would)"
inside bash -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git' \
    >"$RUN/git-install.log" 2>&1 \
    || { tail -20 "$RUN/git-install.log" >&2; die "installing git failed"; }
inside git clone -q /srv/novalite.git-src /root/novalite
inside rm -rf /srv/novalite.git-src

stage "tools/stack.sh in the machine"
t=$(now)
rc=0
inside timeout "$STACK_TIMEOUT" bash -c 'cd /root/novalite && tools/stack.sh' \
    2>&1 | tee "$RUN/stack.log" | grep --line-buffered -E '^stack: |ERROR' \
    | sed -u 's/^/    | /' || rc=${PIPESTATUS[0]}
took[stack]=$(since "$t")
say "    stack.sh: exit $rc in ${took[stack]}s; host load average $(cut -d' ' -f1-3 /proc/loadavg)"
failures=()
[ "$rc" = 0 ] || failures+=("stack.sh exited $rc")

active=0
for u in "${UNITS[@]}"; do
    s=$(inside systemctl is-active "$u" 2>/dev/null || true)
    [ "$s" = active ] && active=$((active + 1)) || failures+=("$u is $s")
done
say "    units active: $active/${#UNITS[@]}"
grep -q '^stack: daemons under systemd' "$RUN/stack.log" \
    || failures+=("stack.sh did not choose systemd")
status=$(sed -n 's/^stack: status: *//p' "$RUN/stack.log")
console=$(sed -n 's/^stack: console: *//p' "$RUN/stack.log")
[ "$status" = ACTIVE ] || failures+=("demo server status '${status}'")
[[ "$console" == http://127.0.0.1:*/vnc_auto.html\?path=%3Ftoken%3D* ]] \
    || failures+=("no console URL printed")
say "    demo server: ${status:-none}; console: ${console:-none}"
# the compute's privileged helper (sudo, oslo.privsep) at work: the guests'
# metadata redirect on the bridge
if inside iptables -t nat -S PREROUTING 2>/dev/null | grep -q 'novalite-metadata:'; then
    say "    metadata redirect: in place (privsep helper started)"
else
    failures+=("no metadata DNAT rule: the compute's privsep helper did not start")
fi

if [ $browser = 1 ] && [ ${#failures[@]} = 0 ]; then
    stage "the console URL in headless Chromium"
    mkdir -p "$REPO/test-artifacts"
    if nsenter --net="/proc/$LEADER/ns/net" -- "$REPO/.venv/bin/python" \
            "$REPO/tools/console-check.py" \
            --screenshot "$REPO/test-artifacts/fresh-machine-console.png" \
            "$console" 2>&1 | tee "$RUN/browser.log" | sed 's/^/    /'; then
        say "    console: guest screen seen"
    else
        failures+=("the console did not show the guest's screen")
    fi
fi
if [ ${#failures[@]} = 0 ]; then
    stage "tools/stack.sh again (README: safe to run again)"
    t=$(now)
    rc=0
    inside bash -c 'cd /root/novalite && tools/stack.sh' >"$RUN/stack-again.log" 2>&1 || rc=$?
    took[stack_again]=$(since "$t")
    [ "$rc" = 0 ] || failures+=("stack.sh, second run, exited $rc")
    first=$(sed -n 's/^stack: demo server: *//p' "$RUN/stack.log")
    again=$(sed -n 's/^stack: demo server: *//p' "$RUN/stack-again.log")
    [ -n "$first" ] && [ "$again" = "$first" ] \
        || failures+=("stack.sh, second run: demo server '$again', first run '$first'")
    [ "$(sed -n 's/^stack: status: *//p' "$RUN/stack-again.log")" = ACTIVE ] \
        || failures+=("stack.sh, second run: demo server not ACTIVE")
    say "    second run: ${took[stack_again]}s, demo server ${again:-none}"
fi
if [ $tests = 1 ]; then
    # README command 2 after command 1, as a newcomer runs them: beside the
    # running stack, from the same clone, as root in a clean environment
    stage "tools/run-tests.sh in the machine"
    t=$(now)
    rc=0
    inside timeout "$TESTS_TIMEOUT" bash -c 'cd /root/novalite && tools/run-tests.sh' \
        2>&1 | tee "$RUN/run-tests.log" \
        | grep --line-buffered -E '^run-tests: |^install-[a-z]+: (installing|ready|ERROR)|^=+ .* in [0-9.]+s' \
        | sed -u 's/^/    | /' || rc=${PIPESTATUS[0]}
    took[tests]=$(since "$t")
    say "    run-tests.sh: exit $rc in ${took[tests]}s; host load average $(cut -d' ' -f1-3 /proc/loadavg)"
    tests_summary "$RUN/run-tests.log" | sed 's/^/    /'
    # what pytest's -ra lists: every skip with its reason, every failure
    grep -E '^(FAILED|ERROR|SKIPPED|XFAIL|XPASS) ' "$RUN/run-tests.log" | sed 's/^/      /' || true
    [ "$rc" = 0 ] || failures+=("run-tests.sh exited $rc")
    [ "$(tests_summary "$RUN/run-tests.log" | grep -c ' in [0-9.]*s')" = 3 ] \
        || failures+=("run-tests.sh: not every layer (unit, functional, e2e) reported")
fi
[ ${#failures[@]} = 0 ] || save_logs
if [ $keep = 1 ]; then
    trap - EXIT
    say "kept $MACHINE: nsenter -t $LEADER -a bash   (removed by the next run or --clean)"
    [ ${#failures[@]} = 0 ] || { printf 'fresh-check: FAIL: %s\n' "${failures[@]}"; exit 1; }
    exit 0
fi

stage "tools/unstack.sh --purge in the machine"
t=$(now)
rc=0
inside bash -c 'cd /root/novalite && tools/unstack.sh --purge' 2>&1 \
    | tee "$RUN/unstack.log" | grep --line-buffered -E '^unstack: |ERROR' \
    | sed -u 's/^/    | /' || rc=${PIPESTATUS[0]}
took[unstack]=$(since "$t")
[ "$rc" = 0 ] || failures+=("unstack.sh exited $rc")
left=$(inside systemctl list-units --all --no-legend --plain 'novalite-*' | awk '$3 != "inactive" || $2 != "not-found"' || true)
[ -z "$left" ] || failures+=("units left after unstack: $(echo "$left" | awk '{ print $1 }' | xargs)")

stage "powering $MACHINE off"
t=$(now)
inside systemctl poweroff >/dev/null 2>&1 || true
for _ in $(seq 180); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.5; done
kill -0 "$NSPAWN" 2>/dev/null && failures+=("the machine did not power off in 90 s")
took[poweroff]=$(since "$t")
done_ok=1
mkdir -p "$FRESH/last"
[ ${#failures[@]} = 0 ] && { rm -rf "$FRESH/last"; mkdir -p "$FRESH/last"; }
cp "$RUN"/*.log "$FRESH/last/" 2>/dev/null || true
t=$(now)
teardown_run "$RUN"
took[teardown]=$(since "$t")

times=''
for k in debootstrap repo wheels boot stack stack_again tests unstack poweroff teardown; do
    [ -n "${took[$k]:-}" ] && times+=" $k=${took[$k]}s"
done
say "times:$times total=$(since "$T0")s"
if [ ${#failures[@]} -gt 0 ]; then
    printf 'fresh-check: FAIL: %s\n' "${failures[@]}"
    exit 1
fi
say "PASS: fresh Debian 12 under systemd: stack.sh up in ${took[stack]}s, six units active, demo ACTIVE, console URL printed$([ $browser = 1 ] && echo ' and seen in Chromium'), metadata redirect in place; second run kept the demo;$([ $tests = 1 ] && echo " run-tests.sh passed in ${took[tests]}s;") unstack.sh clean"
