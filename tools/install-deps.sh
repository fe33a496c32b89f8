#!/bin/bash
# Prepare a machine for novalite's tests: RabbitMQ and MariaDB installed and
# running on loopback, the project's venv (.venv) with the project installed.
#
# Meant for Debian 12 as root; safe to run again (each step is skipped when
# already done). Environment:
#   NOVALITE_SKIP_APT=1      never call apt-get (the services must exist)
#   NOVALITE_VENV=path       venv location (default: <repo>/.venv)
#   NOVALITE_DB_PASSWORD=pw  password of the `novalite` DB user (default: novalite)
#   NOVALITE_SKIP_BROWSER=1  leave out Chromium and Playwright (tools/stack.sh:
#                            a cloud needs no browser; it installs noVNC itself)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${NOVALITE_VENV:-$REPO/.venv}
DB_PASSWORD=${NOVALITE_DB_PASSWORD:-novalite}

log() { echo "install-deps: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() {  # port_open HOST PORT
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# --- packages ---------------------------------------------------------------

missing=()
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] \
    || missing+=(rabbitmq-server)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v mariadb-admin >/dev/null 2>&1 || missing+=(mariadb-client)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# the compute's privileged helper starts through sudo when it is not root
# (its tests skip without sudo: not a reason to stop under NOVALITE_SKIP_APT)
[ -n "${NOVALITE_SKIP_APT:-}" ] || command -v sudo >/dev/null 2>&1 \
    || missing+=(sudo)

if [ ${#missing[@]} -gt 0 ]; then
    [ -z "${NOVALITE_SKIP_APT:-}" ] || die "missing ${missing[*]} and NOVALITE_SKIP_APT is set"
    [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- RabbitMQ ---------------------------------------------------------------

if ! port_open 127.0.0.1 5672; then
    if [ "$(id -u)" = 0 ]; then
        # A loopback-only broker with a host-independent node name, unless the
        # machine already has its own configuration.
        [ -s /etc/rabbitmq/rabbitmq.conf ] || \
            echo 'listeners.tcp.local = 127.0.0.1:5672' > /etc/rabbitmq/rabbitmq.conf
        grep -qs '^NODENAME=' /etc/rabbitmq/rabbitmq-env.conf || \
            echo 'NODENAME=rabbit@localhost' >> /etc/rabbitmq/rabbitmq-env.conf
    fi
    log "starting RabbitMQ"
    rabbitmq-server -detached
    # The node registers with epmd a little after -detached returns; until
    # then await_startup fails at once, so retry it.
    for _ in $(seq 60); do
        rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1 && break
        sleep 1
    done
    for _ in $(seq 30); do port_open 127.0.0.1 5672 && break; sleep 1; done
    port_open 127.0.0.1 5672 || die "RabbitMQ does not listen on 127.0.0.1:5672"
fi
log "RabbitMQ is up on 127.0.0.1:5672"

# --- MariaDB ----------------------------------------------------------------

MYSQL_SOCKET=/run/mysqld/mysqld.sock
if ! mariadb-admin --socket="$MYSQL_SOCKET" -uroot ping >/dev/null 2>&1; then
    log "starting MariaDB"
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    if [ ! -d /var/lib/mysql/mysql ]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    start-stop-daemon --start --oknodo --background \
        --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 \
        --socket="$MYSQL_SOCKET"
    for _ in $(seq 60); do
        mariadb-admin --socket="$MYSQL_SOCKET" -uroot ping >/dev/null 2>&1 && break
        sleep 1
    done
    mariadb-admin --socket="$MYSQL_SOCKET" -uroot ping >/dev/null 2>&1 \
        || die "MariaDB did not come up on $MYSQL_SOCKET"
fi
log "MariaDB is up on $MYSQL_SOCKET"

# The project's own DB user for a development stack (tests make their own
# users and databases). Root talks over the socket (unix_socket auth).
mariadb --socket="$MYSQL_SOCKET" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS novalite CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'novalite'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS 'novalite'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON novalite.* TO 'novalite'@'localhost';
GRANT ALL PRIVILEGES ON novalite.* TO 'novalite'@'127.0.0.1';
SQL

# --- venv -------------------------------------------------------------------

if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
# Reinstall only when the packaging metadata changed since the last install.
stamp="$VENV/.novalite-install-stamp"
want=$(cat "$REPO/setup.cfg" "$REPO/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || \
        [ ! -x "$VENV/bin/novalite-manage" ]; then
    log "installing novalite into $VENV"
    "$VENV/bin/python" -m pip install -q -e "$REPO[test]"
    echo "$want" > "$stamp"
fi
log "venv ready: $VENV"

# --- console tests: QEMU (a VNC server), Chromium, Playwright, noVNC --------

if [ -z "${NOVALITE_SKIP_BROWSER:-}" ]; then
    "$REPO/tools/install-browser.sh" --venv "$VENV"
fi

# --- libvirt tests: libvirtd + QEMU running, libvirt-python in the venv -----

"$REPO/tools/install-libvirt.sh" --venv "$VENV" >/dev/null
