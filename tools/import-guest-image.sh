#!/bin/bash
# Build (if needed) and import the tiny guest into novalite's image service.
#
# Usage: tools/import-guest-image.sh [--config-file FILE]... [--min-ram MB]
#                                    [IMAGEDIR]
#   IMAGEDIR       where build-guest-image.sh puts the guest
#                  (default /var/lib/novalite/guest-image)
#   --config-file  passed to novalite-manage (repeatable)
#   --min-ram MB   min_ram of the kernel-booted and disk images (default 0;
#                  the guest needs 96: at 72 this kernel can panic out of
#                  memory while booting)
#
# Imports five images, all public:
#   novalite-tiny-kernel   aki   vmlinuz
#   novalite-tiny-ramdisk  ari   initrd.img
#   novalite-tiny          ami   disk.raw, kernel_id/ramdisk_id set: boots
#                                by direct kernel boot like Nova's AMIs
#   novalite-tiny-raw      raw   disk.raw (boots by itself, syslinux)
#   novalite-tiny-qcow2    qcow2 disk.qcow2
# An image already there with the same name and size is reused, so the
# script is idempotent. Prints shell-sourceable lines on stdout:
#   kernel_id=... ramdisk_id=... ami_id=... raw_id=... qcow2_id=...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
manage_args=()
min_ram=0
dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --config-file) manage_args+=(--config-file "$2"); shift 2 ;;
        --min-ram) min_ram=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) dir=$1; shift ;;
    esac
done
dir=${dir:-/var/lib/novalite/guest-image}

manage=$repo/.venv/bin/novalite-manage
[ -x "$manage" ] || manage=novalite-manage

"$here/build-guest-image.sh" "$dir" >/dev/null

# "| id | name | disk | container | size | status |" rows of image list
listing=$("$manage" "${manage_args[@]}" image list)

existing_id() {
    local name=$1 size=$2
    awk -F'|' -v n="$name" -v s="$size" '
        { for (i = 2; i <= 7; i++) gsub(/^ +| +$/, "", $i) }
        $3 == n && $6 == s && $7 == "active" { id = $2 }
        END { print id }' <<<"$listing"
}

import() {
    local name=$1 file=$2 fmt=$3 id=; shift 3
    [ "$reuse" = 1 ] && id=$(existing_id "$name" "$(stat -c %s "$file")")
    if [ -z "$id" ]; then
        id=$("$manage" "${manage_args[@]}" image import --name "$name" \
                --file "$file" --disk-format "$fmt" "$@" \
            | awk -F'|' '$2 ~ /^ id +$/ { gsub(/ /, "", $3); print $3 }')
        [ -n "$id" ] || { echo "import of $name failed" >&2; exit 1; }
        echo "imported $name as $id" >&2
    else
        echo "$name already imported as $id" >&2
    fi
    echo "$id"
}

reuse=1
kernel_id=$(import novalite-tiny-kernel "$dir/vmlinuz" aki)
ramdisk_id=$(import novalite-tiny-ramdisk "$dir/initrd.img" ari)
# an existing ami points at the old kernel/ramdisk if either is new
grep -q -e "$kernel_id" <<<"$listing" && grep -q -e "$ramdisk_id" \
    <<<"$listing" || reuse=0
ami_id=$(import novalite-tiny "$dir/disk.raw" ami \
    --property "kernel_id=$kernel_id" --property "ramdisk_id=$ramdisk_id" \
    --property architecture=x86_64 --property vm_mode=hvm \
    --min-ram "$min_ram")
reuse=1
raw_id=$(import novalite-tiny-raw "$dir/disk.raw" raw \
    --property architecture=x86_64 --min-ram "$min_ram")
qcow2_id=$(import novalite-tiny-qcow2 "$dir/disk.qcow2" qcow2 \
    --property architecture=x86_64 --min-ram "$min_ram")

echo "kernel_id=$kernel_id"
echo "ramdisk_id=$ramdisk_id"
echo "ami_id=$ami_id"
echo "raw_id=$raw_id"
echo "qcow2_id=$qcow2_id"
