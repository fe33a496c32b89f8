#!/bin/bash
# Prepare this host to run novalite's libvirt driver. Idempotent.
#
#  1. install libvirt + QEMU from Debian when absent;
#  2. start virtlogd and libvirtd by hand when systemd is not PID 1, and wait
#     until qemu:///system answers;
#  3. make /dev/kvm root:kvm 0660 (without it libvirt re-probes QEMU on every
#     define, ~48 s each);
#  4. install libvirt-python into the project's venv;
#  5. print the virt_type this host should use on the last line:
#     "virt_type=qemu" or "virt_type=kvm".
#
# Usage: tools/install-libvirt.sh [--venv PATH] [--probe-kvm]
#   --venv PATH   venv to install libvirt-python into (default: repo .venv,
#                 or $VIRTUAL_ENV when set); "none" skips it.
#   --probe-kvm   time a KVM boot even when the CPU shows no vmx/svm
#
# Environment: LIBVIRT_PYTHON_VERSION overrides the pinned libvirt-python.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
venv=${VIRTUAL_ENV:-$repo/.venv}
probe_kvm=0
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) venv=$2; shift 2 ;;
        --probe-kvm) probe_kvm=1; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# The newest libvirt-python builds against Debian 12's libvirt 9.0 (12.8.0
# did); should a future release not, 9.0.0, which matches it, is the
# fallback. LIBVIRT_PYTHON_VERSION pins one.
LIBVIRT_PYTHON_FALLBACK=9.0.0
URI=qemu:///system

log() { echo "install-libvirt: $*" >&2; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        log "must run as root"; exit 1
    fi
}

install_packages() {
    # dnsmasq-base and iptables: libvirt's NAT networks (DHCP, masquerade);
    # dnsmasq-utils: dhcp_release, so a freed fixed IP's lease goes at once;
    # gcc and python3-dev: pip builds libvirt-python from source
    local pkgs=(libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
                qemu-system-x86 qemu-utils dnsmasq-base iptables
                dnsmasq-utils gcc python3-dev)
    local missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "packages present"
        return
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
}

daemon_running() {
    # pidfiles are written by the daemons themselves; a stale one is ignored
    local pidfile=$1 pid
    [ -r "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_daemons() {
    if [ "$(ps -p 1 -o comm= | tr -d ' ')" = systemd ]; then
        systemctl start virtlogd.socket libvirtd.socket libvirtd.service \
            >/dev/null 2>&1 || systemctl start libvirtd
    else
        # a daemon that loses a start race to another one exits non-zero;
        # whether libvirtd answers is what counts
        if ! daemon_running /run/virtlogd.pid; then
            log "starting virtlogd"
            virtlogd -d 9>&- || log "virtlogd -d exited $?"
        fi
        if ! daemon_running /run/libvirtd.pid; then
            log "starting libvirtd"
            libvirtd -d 9>&- || log "libvirtd -d exited $?"
        fi
    fi
    local i
    for i in $(seq 1 120); do
        if virsh -c "$URI" version >/dev/null 2>&1; then
            log "libvirtd answers on $URI"
            return
        fi
        sleep 0.5
    done
    log "libvirtd did not answer on $URI within 60 s"
    exit 1
}

fix_kvm_node() {
    [ -e /dev/kvm ] || return 0
    getent group kvm >/dev/null || groupadd -r kvm
    chown root:kvm /dev/kvm
    chmod 0660 /dev/kvm
}

install_python_binding() {
    [ "$venv" = none ] && return 0
    if [ ! -x "$venv/bin/python" ]; then
        log "no venv at $venv; skipping libvirt-python"
        return 0
    fi
    if "$venv/bin/python" -c 'import libvirt' 2>/dev/null; then
        log "libvirt-python present in $venv"
        return 0
    fi
    if [ -n "${LIBVIRT_PYTHON_VERSION:-}" ]; then
        log "installing libvirt-python==$LIBVIRT_PYTHON_VERSION into $venv"
        "$venv/bin/python" -m pip install -q \
            "libvirt-python==$LIBVIRT_PYTHON_VERSION" >&2
        return
    fi
    log "installing libvirt-python into $venv"
    if ! "$venv/bin/python" -m pip install -q libvirt-python >&2; then
        log "newest libvirt-python failed; trying $LIBVIRT_PYTHON_FALLBACK"
        "$venv/bin/python" -m pip install -q \
            "libvirt-python==$LIBVIRT_PYTHON_FALLBACK" >&2
    fi
}

# Boot QEMU's BIOS under KVM with no disk and time how long SeaBIOS takes to
# give up ("No bootable device" on its debug port). Real KVM: well under a
# second; TCG: ~0.5 s; a nested software KVM: several seconds, and a Linux
# guest never finishes booting there.
kvm_boots_fast() {
    local dbg pid i result=1
    dbg=$(mktemp)
    qemu-system-x86_64 -accel kvm -m 16 -display none -nodefaults \
        -no-user-config -chardev "file,id=dbg,path=$dbg" \
        -device isa-debugcon,iobase=0x402,chardev=dbg 2>/dev/null 9>&- &
    pid=$!
    for i in $(seq 1 30); do       # 3 s
        if grep -q 'No bootable device' "$dbg" 2>/dev/null; then
            result=0; break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$dbg"
    return $result
}

# KVM counts only when the CPU we see offers hardware virtualisation and a
# KVM guest actually runs at hardware speed: /dev/kvm alone proves nothing
# (a nested software mode exposes the node but guests never finish booting).
choose_virt_type() {
    if [ ! -e /dev/kvm ]; then
        log "no /dev/kvm"; echo qemu; return
    fi
    if ! grep -qw -E 'vmx|svm' /proc/cpuinfo && [ "$probe_kvm" = 0 ]; then
        log "/dev/kvm exists but the CPU shows no vmx/svm"
        echo qemu; return
    fi
    if ! kvm_boots_fast; then
        log "KVM does not run a guest at hardware speed"
        echo qemu; return
    fi
    echo kvm
}

need_root
# one run at a time (parallel test workers, several engineers' tests)
exec 9>/run/novalite-install-libvirt.lock
flock 9   # daemons started below get 9>&- so they never inherit the lock
install_packages
start_daemons
fix_kvm_node
install_python_binding
echo "virt_type=$(choose_virt_type)"
