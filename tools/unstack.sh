#!/bin/bash
# Take down what tools/stack.sh brought up.
#
# Usage: tools/unstack.sh [--purge]        (as root)
#
# Deletes the demo server through the API (while the API still runs), stops
# the six daemons (systemd units or stack.sh's supervisors), removes what
# is left on the host: the stack's libvirt domains (<domain prefix>*), its
# libvirt network and the metadata DNAT rule of its bridge.
#   --purge   also drop the MariaDB database and user, the RabbitMQ vhost
#             and user, the config files, the logs and the stack's state
#             (images, instances, locks); the guest image build cache stays.
# RabbitMQ, MariaDB, libvirtd and the installed packages stay.
#
# The settings come from $NOVALITE_STATE_DIR/stack.env (default
# /var/lib/novalite), which stack.sh wrote.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
purge=0
while [ $# -gt 0 ]; do
    case "$1" in
        --purge) purge=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

say() { echo "unstack: $*"; }
die() { echo "unstack: ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

STATE_DIR=${NOVALITE_STATE_DIR:-/var/lib/novalite}
STACK_ENV=$STATE_DIR/stack.env
if [ ! -r "$STACK_ENV" ]; then
    say "no $STACK_ENV: nothing stacked there"
    exit 0
fi
# shellcheck disable=SC1090
. "$STACK_ENV"
# shellcheck disable=SC2154
{
    CONF=$saved_CONF; DB_CONF=$saved_DB_CONF; LOG_DIR=$saved_LOG_DIR
    VENV=$saved_VENV; API_PORT=$saved_API_PORT; DEMO_NAME=$saved_DEMO_NAME
    NETWORK_NAME=$saved_NETWORK_NAME; BRIDGE=$saved_BRIDGE
    DOMAIN_PREFIX=$saved_DOMAIN_PREFIX; use_systemd=$saved_use_systemd
    DB_NAME=$saved_DB_NAME; DB_USER=$saved_DB_USER
    RABBIT_VHOST=$saved_RABBIT_VHOST; RABBIT_USER=$saved_RABBIT_USER
}
RUN_DIR=$STATE_DIR/run
DAEMONS=(api novncproxy consoleauth scheduler compute conductor)
URI=qemu:///system

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
alive() { [ -r "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- the demo server, the clean way while the cloud still runs -------------

if port_open 127.0.0.1 "$API_PORT"; then
    say "deleting server $DEMO_NAME through the API"
    "$VENV/bin/python" "$REPO/tools/stack-api.py" --timeout 90 \
        --api "http://127.0.0.1:$API_PORT" delete-demo --name "$DEMO_NAME" \
        2>&1 | sed 's/^stack: /    /' \
        || say "    API delete failed; the domains are removed below"
fi

# --- daemons -------------------------------------------------------------------

# All supervisors get SIGTERM at once (each passes it to its daemon and
# waits for it); after 20 s whatever is left of a supervisor's session (it
# leads one) is killed.
stop_supervised() {  # NAME...
    local name pgids=() i left
    for name in "$@"; do
        if alive "$RUN_DIR/$name.supervisor.pid"; then
            pgids+=("$(cat "$RUN_DIR/$name.supervisor.pid")")
            kill -TERM "${pgids[-1]}" 2>/dev/null || true
        fi
    done
    for i in $(seq 100); do
        left=0
        for pgid in "${pgids[@]}"; do
            kill -0 "$pgid" 2>/dev/null && left=1
        done
        [ $left = 0 ] && break
        sleep 0.2
    done
    for pgid in "${pgids[@]}"; do
        kill -KILL -- "-$pgid" 2>/dev/null || true
    done
    for name in "$@"; do
        rm -f "$RUN_DIR/$name.supervisor.pid" "$RUN_DIR/$name.pid"
    done
    say "    stopped ${#pgids[@]} supervised daemon(s)"
}

say "stopping daemons"
if [ "$use_systemd" = 1 ]; then
    units=("${DAEMONS[@]/#/novalite-}")
    units=("${units[@]/%/.service}")
    systemctl disable --now -q "${units[@]}" 2>/dev/null || true
    say "    stopped ${units[*]}"
else
    stop_supervised "${DAEMONS[@]}"
fi

# --- what is left on the host --------------------------------------------------

for dom in $(virsh -c "$URI" list --all --name 2>/dev/null); do
    case "$dom" in
        "$DOMAIN_PREFIX"*)
            virsh -c "$URI" destroy "$dom" >/dev/null 2>&1 || true
            virsh -c "$URI" undefine "$dom" --managed-save >/dev/null 2>&1 || true
            say "removed domain $dom" ;;
    esac
done
if virsh -c "$URI" net-info "$NETWORK_NAME" >/dev/null 2>&1; then
    virsh -c "$URI" net-destroy "$NETWORK_NAME" >/dev/null 2>&1 || true
    virsh -c "$URI" net-undefine "$NETWORK_NAME" >/dev/null 2>&1 || true
    say "removed network $NETWORK_NAME"
fi
"$VENV/bin/python" -c 'import sys
from novalite.network import linux_net
linux_net.remove_metadata_redirect(sys.argv[1])' "$BRIDGE" \
    || say "could not remove the metadata rule of $BRIDGE"

if [ $purge = 0 ]; then
    say "done (database $DB_NAME, vhost $RABBIT_VHOST and $CONF kept; --purge removes them)"
    exit 0
fi

# --- --purge -------------------------------------------------------------------

say "dropping database $DB_NAME and user $DB_USER"
mariadb --socket=/run/mysqld/mysqld.sock -uroot <<SQL
DROP DATABASE IF EXISTS \`$DB_NAME\`;
DROP USER IF EXISTS '$DB_USER'@'localhost';
DROP USER IF EXISTS '$DB_USER'@'127.0.0.1';
SQL
say "deleting vhost $RABBIT_VHOST and user $RABBIT_USER"
if rabbitmqctl -q list_vhosts | grep -qx "$RABBIT_VHOST"; then
    rabbitmqctl -q delete_vhost "$RABBIT_VHOST"
fi
if rabbitmqctl -q list_users | awk '{ print $1 }' | grep -qx "$RABBIT_USER"; then
    rabbitmqctl -q delete_user "$RABBIT_USER"
fi
if [ "$use_systemd" = 1 ]; then
    rm -f /etc/systemd/system/novalite-*.service
    rm -rf /etc/systemd/system/novalite-*.service.d
    rm -f /etc/sudoers.d/novalite-privsep
    systemctl daemon-reload
fi
rm -f "$CONF" "$DB_CONF"
rmdir "$(dirname "$CONF")" 2>/dev/null || true
rm -rf "$LOG_DIR"
# what stack.sh made below state_path; the guest image build cache
# (default $STATE_DIR/guest-image) stays for the next stack.sh or test run
rm -rf "${STATE_DIR:?}"/{instances,images,lock,run,stack.env}
rmdir "$STATE_DIR" 2>/dev/null || true
say "purged: config, state in $STATE_DIR, logs $LOG_DIR"
