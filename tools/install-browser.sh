#!/bin/bash
# Install what the console tests need to see a guest's screen in a browser:
#
#   - Debian's chromium (headless, driven by Playwright; no browser download)
#   - Debian's qemu-system-x86 (a plain VNC server before libvirt is there)
#   - Playwright for Python in the project's venv (its driver only; never
#     `playwright install`)
#   - the noVNC web client (tools/install-novnc.sh, default directory)
#
# Usage: tools/install-browser.sh [--venv PATH]     Idempotent; needs root
# for apt-get. NOVALITE_SKIP_APT=1 never calls apt-get.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${NOVALITE_VENV:-$REPO/.venv}
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) VENV=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { echo "install-browser: $*" >&2; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    if [ -n "${NOVALITE_SKIP_APT:-}" ]; then
        log "missing ${missing[*]} and NOVALITE_SKIP_APT is set"; exit 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if ! "$VENV/bin/python" -c 'import playwright' >/dev/null 2>&1; then
    log "installing playwright into $VENV"
    "$VENV/bin/python" -m pip install -q 'playwright>=1.40'
fi

"$REPO/tools/install-novnc.sh"
log "ready: $(/usr/bin/chromium --version 2>/dev/null), $("$VENV/bin/python" -c 'import importlib.metadata as m; print("playwright", m.version("playwright"))')"
