#!/bin/bash
# Build novalite's tiny guest from Debian packages only. Idempotent, cached.
#
# Usage: tools/build-guest-image.sh [--force] [OUTDIR]
#   OUTDIR defaults to /var/lib/novalite/guest-image.
#
# Outputs in OUTDIR (all readable by libvirt-qemu, uid 64055):
#   vmlinuz      the current Debian cloud kernel (linux-image-*-cloud-amd64,
#                fetched with apt-get download, never installed on the host)
#   initrd.img   busybox-static initramfs: DHCP on eth0, metadata attempt,
#                banner on ttyS0 and tty0, then a shell on both consoles
#   disk.raw     bootable FAT disk (syslinux) with the same kernel+initramfs
#   disk.qcow2   the same disk as qcow2
#   build-info   key=value lines (shell-sourceable), written last: kernel and
#                busybox versions, input hash, build time, banner format
#
# The banner is one line, printed once networking and the metadata attempt
# are done (see tools/guest-image/README.md):
#   novalite tiny guest: hostname=<name> ip=<ipv4|none> gw=<ipv4|none> metadata=<ok|none>
#
# The build is skipped when build-info records the same inputs (kernel
# package version, busybox version, this script and tools/guest-image/*).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$here/guest-image
force=0
out=
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
out=${out:-/var/lib/novalite/guest-image}
# modules the guest needs, by name; their dependencies are added
MODULES=(virtio_pci virtio_net virtio_blk button evdev)

log() { echo "build-guest-image: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    log "must run as root (apt-get, device nodes in the initramfs)"; exit 1
fi

ensure_tools() {
    local missing=() p
    declare -A need=([cpio]=cpio [syslinux]=syslinux [mcopy]=mtools
                     [mkfs.vfat]=dosfstools [qemu-img]=qemu-utils
                     [flock]=util-linux)
    for p in "${!need[@]}"; do
        command -v "$p" >/dev/null || missing+=("${need[$p]}")
    done
    # syslinux's boot sector and ldlinux come from syslinux-common
    [ -d /usr/lib/syslinux ] || missing+=(syslinux-common)
    [ ${#missing[@]} -eq 0 ] && return
    log "installing build tools: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
}

# One apt-cache call (each costs seconds here: no persistent pkgcache).
# No early-exiting readers in pipelines: with pipefail, SIGPIPE is fatal.
query_apt() {
    apt-cache show --no-all-versions linux-image-cloud-amd64 busybox-static \
        2>/dev/null | awk '
        /^Package:/ { pkg = $2 }
        /^Version:/ { ver[pkg] = $2 }
        /^Depends:/ && pkg == "linux-image-cloud-amd64" {
            n = split($0, deps, /[ ,]+/)
            for (i = 2; i <= n; i++)
                if (deps[i] ~ /^linux-image-.*-cloud-amd64$/ && !k) k = deps[i]
        }
        END { print k, ver["linux-image-cloud-amd64"], ver["busybox-static"] }'
}

resolve_packages() {
    read -r kpkg kver bbver < <(query_apt) || true
    if [ -z "${kpkg:-}" ] || [ -z "${bbver:-}" ]; then
        log "refreshing apt lists"
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        read -r kpkg kver bbver < <(query_apt) || true
    fi
    [ -n "${kpkg:-}" ] || { log "no linux-image-*-cloud-amd64 in apt"; exit 1; }
    kabi=${kpkg#linux-image-}
}

input_hash() {
    {
        echo "$kpkg $kver busybox-static $bbver"
        cat "$0"
        for f in "$src"/*; do
            case "$f" in *.md) continue ;; esac
            echo "== ${f##*/}"; cat "$f"
        done
    } | sha256sum | cut -c1-16
}

outputs_present() {
    local f
    for f in vmlinuz initrd.img disk.raw disk.qcow2 build-info; do
        [ -s "$out/$f" ] || return 1
    done
}

# Print module paths (relative to lib/modules/$kabi) in load order.
module_order() {
    local root=$1; shift
    declare -A path=() seen=()
    local ko name
    while IFS= read -r ko; do
        name=${ko##*/}; name=${name%.ko}; name=${name//-/_}
        path[$name]=${ko#"$root"/}
    done < <(find "$root" -name '*.ko')
    visit() {
        local m=$1 dep deps
        [ -n "${seen[$m]:-}" ] && return
        seen[$m]=1
        [ -n "${path[$m]:-}" ] || { log "module $m not in $kpkg"; exit 1; }
        deps=$(tr '\0' '\n' <"$root/${path[$m]}" \
            | sed -n 's/^depends=//p')
        for dep in ${deps//,/ }; do visit "${dep//-/_}"; done
        echo "${path[$m]}"
    }
    local m
    for m in "$@"; do visit "$m"; done
}

build_initramfs() {
    local rootfs=$work/rootfs mods=$work/pkg/lib/modules/$kabi rel
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,proc,sys,dev}
    mkdir -p "$rootfs"/{run,tmp,root,lib/modules}
    chmod 1777 "$rootfs/tmp"
    install -m 0755 "$work/bb/bin/busybox" "$rootfs/bin/busybox"
    ln -s busybox "$rootfs/bin/sh"
    ln -s ../bin/busybox "$rootfs/sbin/init"
    install -m 0755 "$src/init" "$rootfs/init"
    install -m 0755 "$src/udhcpc.script" "$rootfs/etc/udhcpc.script"
    install -m 0644 "$src/inittab" "$rootfs/etc/inittab"
    install -m 0755 "$src/acpi-power-button" \
        "$rootfs/etc/acpi/PWRF/00000080"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
    echo 'root:x:0:' >"$rootfs/etc/group"
    : >"$rootfs/etc/modules.order"
    while IFS= read -r rel; do
        install -m 0644 "$mods/$rel" "$rootfs/lib/modules/${rel##*/}"
        echo "${rel##*/}" >>"$rootfs/etc/modules.order"
    done < <(module_order "$mods" "${MODULES[@]}")
    # the kernel opens /dev/console before /init mounts devtmpfs
    mknod -m 0600 "$rootfs/dev/console" c 5 1
    mknod -m 0666 "$rootfs/dev/null" c 1 3
    (cd "$rootfs" && find . -mindepth 1 | LC_ALL=C sort \
        | cpio --quiet -o -H newc -R 0:0 --reproducible) \
        | gzip -9n >"$stage/initrd.img"
}

build_disk() {
    local kb
    # kernel + initramfs + 4 MiB of room, rounded to MiB
    kb=$(( ( $(stat -c %s "$stage/vmlinuz") + $(stat -c %s "$stage/initrd.img")
             + 4 * 1048576 ) / 1048576 * 1024 ))
    mkfs.vfat -C -n NOVALITE "$stage/disk.raw" "$kb" >/dev/null
    syslinux --install "$stage/disk.raw"
    mcopy -i "$stage/disk.raw" "$stage/vmlinuz" ::vmlinuz
    mcopy -i "$stage/disk.raw" "$stage/initrd.img" ::initrd.img
    mcopy -i "$stage/disk.raw" "$src/syslinux.cfg" ::syslinux.cfg
    qemu-img convert -f raw -O qcow2 "$stage/disk.raw" "$stage/disk.qcow2"
}

make_readable() {
    # every directory up to / traversable, so libvirt-qemu reaches the files
    local d=$out
    while [ "$d" != / ]; do
        chmod o+x "$d"; d=$(dirname "$d")
    done
    chmod 0755 "$out"
}

start=$(date +%s.%N)
ensure_tools
resolve_packages
inputs=$(input_hash)
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if [ "$force" = 0 ] && outputs_present \
        && grep -qx "inputs=$inputs" "$out/build-info"; then
    log "up to date in $out ($kpkg $kver)"
    make_readable
    echo "$out"
    exit 0
fi

work=$(mktemp -d)
stage=$out/.stage.$$
trap 'rm -rf "$work" "$stage"' EXIT
mkdir -p "$stage" "$work/debs" "$work/pkg" "$work/bb"
# apt drops privileges to _apt for downloads
chmod 0777 "$work/debs"
download() {
    log "fetching $kpkg $kver and busybox-static $bbver"
    (cd "$work/debs" && apt-get download -q "$kpkg" busybox-static \
        >"$work/download.log" 2>&1)
}
if ! download; then
    # stale lists name versions the archive no longer has
    log "apt-get download failed; refreshing apt lists and retrying"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    resolve_packages
    inputs=$(input_hash)
    if ! download; then
        log "apt-get download failed:"; cat "$work/download.log" >&2; exit 1
    fi
fi
dpkg-deb --fsys-tarfile "$work"/debs/linux-image-*.deb \
    | tar -x -C "$work/pkg" ./boot "./lib/modules/$kabi/kernel"
dpkg-deb --fsys-tarfile "$work"/debs/busybox-static_*.deb \
    | tar -x -C "$work/bb" ./bin/busybox
install -m 0644 "$work/pkg/boot/vmlinuz-$kabi" "$stage/vmlinuz"
build_initramfs
build_disk
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
cat >"$stage/build-info" <<EOF
kernel_package=$kpkg
kernel_version=$kver
kernel_release=$kabi
busybox_version=$bbver
inputs=$inputs
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$secs
banner_format='novalite tiny guest: hostname=<name> ip=<ipv4|none> gw=<ipv4|none> metadata=<ok|none>'
min_ram_mb=96
EOF
chmod 0644 "$stage"/*
for f in vmlinuz initrd.img disk.raw disk.qcow2 build-info; do
    mv -f "$stage/$f" "$out/$f"
done
make_readable
log "built in ${secs}s: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
