#!/bin/bash
# Install the noVNC web client served by novalite-novncproxy.
#
# Usage: tools/install-novnc.sh [DEST]     (default /usr/share/novalite/novnc)
#
# The RFB library comes from the npm package @novnc/novnc (its core/ and
# vendor/ directories; the package ships no page). novalite's own page,
# vnc_auto.html + vnc_auto.js from novalite/console/web/, is copied beside
# it. Point [vnc] web at DEST. NOVNC_VERSION overrides the pinned version.
# Re-running with the same version only refreshes the page.
set -euo pipefail

DEST=${1:-/usr/share/novalite/novnc}
VERSION=${NOVNC_VERSION:-1.7.0}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAGE_DIR=$REPO/novalite/console/web

installed_version() {
    [ -f "$DEST/package.json" ] || return 0
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$DEST/package.json" | head -1
}

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

if [ "$(installed_version)" != "$VERSION" ] || [ ! -f "$DEST/core/rfb.js" ]; then
    if ! command -v npm >/dev/null; then
        echo "install-novnc: npm not found; installing Debian's npm" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends npm >&2
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    npm install --prefix "$work" --no-audit --no-fund --ignore-scripts \
        --no-save --loglevel=error "@novnc/novnc@$VERSION" >&2
    pkg=$work/node_modules/@novnc/novnc
    rm -rf "$DEST/core" "$DEST/vendor"
    cp -r "$pkg/core" "$pkg/vendor" "$DEST/"
    cp "$pkg/package.json" "$DEST/package.json"
    cp "$pkg/LICENSE.txt" "$DEST/LICENSE.noVNC.txt"
fi

cp "$PAGE_DIR/vnc_auto.html" "$PAGE_DIR/vnc_auto.js" "$DEST/"
echo "noVNC $VERSION and vnc_auto.html installed in $DEST"
