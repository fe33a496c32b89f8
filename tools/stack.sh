#!/bin/bash
# Bring up a one-node novalite cloud on this machine and boot a demo server.
#
# Usage: tools/stack.sh            (as root, Debian 12; safe to run again)
#
# Steps: system packages, RabbitMQ and MariaDB (tools/install-deps.sh),
# libvirt + QEMU (tools/install-libvirt.sh), the noVNC client
# (tools/install-novnc.sh), the tiny guest image (tools/build-guest-image.sh),
# a RabbitMQ user + vhost and a MariaDB database + user of the stack's own,
# the config files, `novalite-manage db sync`, the six daemons, the guest
# images (tools/import-guest-image.sh), Nova's default flavors plus m1.nano
# (96 MiB, what the tiny guest needs), then one demo server, booted through
# the REST API. Prints its status, IP and noVNC console URL, and the time
# taken. Running it again keeps what is there and repairs what is not: no
# second flavor, image or demo server; dead daemons are started again.
#
# Daemons: under systemd (PID 1) the units from systemd/; otherwise each
# runs under a small supervisor that restarts it when it dies. Logs:
# $NOVALITE_LOG_DIR/<daemon>.log; PID files: $NOVALITE_STATE_DIR/run/.
#
# Environment (defaults in brackets; chosen values are remembered in
# $NOVALITE_STATE_DIR/stack.env, which tools/unstack.sh reads):
#   NOVALITE_CONF           config file [/etc/novalite/novalite.conf]; the
#                           [database] section goes to novalite-db.conf
#                           beside it (read by the conductor and
#                           novalite-manage only)
#   NOVALITE_STATE_DIR      state_path: instances, images, locks [/var/lib/novalite]
#   NOVALITE_LOG_DIR        daemon logs [/var/log/novalite]
#   NOVALITE_VENV           venv [<repo>/.venv; /opt/novalite/venv under systemd]
#   NOVALITE_DB_NAME, NOVALITE_DB_USER, NOVALITE_DB_PASSWORD   [novalite, novalite, random]
#   NOVALITE_RABBIT_VHOST, NOVALITE_RABBIT_USER, NOVALITE_RABBIT_PASSWORD [novalite, novalite, random]
#   NOVALITE_API_PORT, NOVALITE_METADATA_PORT, NOVALITE_NOVNC_PORT [8774, 8775, 6080]
#   NOVALITE_HOST           [DEFAULT] host of the daemons [hostname -s]
#   NOVALITE_NETWORK_NAME, NOVALITE_BRIDGE   libvirt network [novalite, nlbr0]
#   NOVALITE_FIXED_RANGE    [10.0.0.0/24, or a free 10.x.y.0/24 if taken]
#   NOVALITE_DOMAIN_PREFIX  libvirt domain names <prefix>%08x [novalite-]
#   NOVALITE_DEMO_NAME      demo server name [demo]; NOVALITE_DEMO=0 boots none
#   NOVALITE_SYSTEMD        auto|0|1 [auto: systemd when it is PID 1 and
#                           NOVALITE_CONF is the default path]
#   NOVALITE_GUEST_IMAGE_DIR [/var/lib/novalite/guest-image]
#   NOVALITE_NOVNC_DIR      [/usr/share/novalite/novnc]
#   NOVALITE_SKIP_APT=1     never call apt-get (everything must be there)
set -euo pipefail

case "${1:-}" in
    '') ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-h]  (settings come from the environment)" >&2; exit 2 ;;
esac
REPO=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s.%N)
DAEMONS=(conductor compute scheduler consoleauth novncproxy api)

step=0
say() { echo "stack: $*"; }
stage() {
    step=$((step + 1))
    printf 'stack: [%2d] %-44s (%5.1fs)\n' "$step" "$*" \
        "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
}
die() { echo "stack: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# --- settings ----------------------------------------------------------------

CONF=${NOVALITE_CONF:-/etc/novalite/novalite.conf}
CONF_DIR=$(dirname "$CONF")
DB_CONF=$CONF_DIR/novalite-db.conf
STATE_DIR=${NOVALITE_STATE_DIR:-/var/lib/novalite}
STACK_ENV=$STATE_DIR/stack.env
# shellcheck disable=SC1090
[ -r "$STACK_ENV" ] && . "$STACK_ENV"

# env > remembered (saved_*) > default
pick() { local env=$1 saved=$2 default=$3; echo "${!env:-${!saved:-$default}}"; }
randpw() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }

use_systemd=0
case "${NOVALITE_SYSTEMD:-auto}" in
    1) use_systemd=1 ;;
    auto) [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] \
              && [ "$CONF" = /etc/novalite/novalite.conf ] && use_systemd=1 ;;
esac
if [ $use_systemd = 1 ]; then default_venv=/opt/novalite/venv
else default_venv=$REPO/.venv; fi

LOG_DIR=$(pick NOVALITE_LOG_DIR saved_LOG_DIR /var/log/novalite)
VENV=$(pick NOVALITE_VENV saved_VENV "$default_venv")
DB_NAME=$(pick NOVALITE_DB_NAME saved_DB_NAME novalite)
DB_USER=$(pick NOVALITE_DB_USER saved_DB_USER novalite)
DB_PASSWORD=$(pick NOVALITE_DB_PASSWORD saved_DB_PASSWORD "$(randpw)")
RABBIT_VHOST=$(pick NOVALITE_RABBIT_VHOST saved_RABBIT_VHOST novalite)
RABBIT_USER=$(pick NOVALITE_RABBIT_USER saved_RABBIT_USER novalite)
RABBIT_PASSWORD=$(pick NOVALITE_RABBIT_PASSWORD saved_RABBIT_PASSWORD "$(randpw)")
API_PORT=$(pick NOVALITE_API_PORT saved_API_PORT 8774)
METADATA_PORT=$(pick NOVALITE_METADATA_PORT saved_METADATA_PORT 8775)
NOVNC_PORT=$(pick NOVALITE_NOVNC_PORT saved_NOVNC_PORT 6080)
NL_HOST=$(pick NOVALITE_HOST saved_NL_HOST "$(hostname -s)")
NETWORK_NAME=$(pick NOVALITE_NETWORK_NAME saved_NETWORK_NAME novalite)
BRIDGE=$(pick NOVALITE_BRIDGE saved_BRIDGE nlbr0)
FIXED_RANGE=$(pick NOVALITE_FIXED_RANGE saved_FIXED_RANGE "")
DOMAIN_PREFIX=$(pick NOVALITE_DOMAIN_PREFIX saved_DOMAIN_PREFIX novalite-)
DEMO_NAME=$(pick NOVALITE_DEMO_NAME saved_DEMO_NAME demo)
IMAGE_DIR=${NOVALITE_GUEST_IMAGE_DIR:-/var/lib/novalite/guest-image}
NOVNC_DIR=${NOVALITE_NOVNC_DIR:-/usr/share/novalite/novnc}
RUN_DIR=$STATE_DIR/run
MYSQL_SOCKET=/run/mysqld/mysqld.sock

free_fixed_range() {
    # 10.0.0.0/24 unless an interface of this host is on it already
    local used prefix
    used=$(ip -o -4 addr show 2>/dev/null | awk '{ split($4, a, "."); print a[1]"."a[2]"."a[3] }')
    grep -qx 10.0.0 <<<"$used" || { echo 10.0.0.0/24; return; }
    for _ in $(seq 200); do
        prefix=10.$((RANDOM % 150 + 100)).$((RANDOM % 254 + 1))
        grep -qx "$prefix" <<<"$used" || { echo "$prefix.0/24"; return; }
    done
    die "no free 10.x.y.0/24 for the flat network"
}
[ -n "$FIXED_RANGE" ] || FIXED_RANGE=$(free_fixed_range)
GATEWAY=${FIXED_RANGE%.*/*}.1

save_settings() {
    mkdir -p "$STATE_DIR"
    chmod 0755 "$STATE_DIR"
    local v
    {
        echo "# written by tools/stack.sh; read by tools/unstack.sh"
        for v in CONF DB_CONF LOG_DIR VENV DB_NAME DB_USER DB_PASSWORD \
                 RABBIT_VHOST RABBIT_USER RABBIT_PASSWORD API_PORT \
                 METADATA_PORT NOVNC_PORT NL_HOST NETWORK_NAME BRIDGE \
                 FIXED_RANGE DOMAIN_PREFIX DEMO_NAME use_systemd; do
            printf 'saved_%s=%q\n' "$v" "${!v}"
        done
    } >"$STACK_ENV.tmp"
    chmod 0600 "$STACK_ENV.tmp"
    mv -f "$STACK_ENV.tmp" "$STACK_ENV"
}

say "config $CONF, state $STATE_DIR, logs $LOG_DIR, venv $VENV"
say "database $DB_NAME, vhost $RABBIT_VHOST, API :$API_PORT, noVNC :$NOVNC_PORT, network $FIXED_RANGE on $BRIDGE"
[ $use_systemd = 1 ] && say "daemons under systemd" || say "daemons under stack.sh's supervisor (systemd is not PID 1 or a private config)"

# --- 1. packages, RabbitMQ, MariaDB, venv --------------------------------------

stage "packages, RabbitMQ, MariaDB, venv"
NOVALITE_VENV=$REPO/.venv NOVALITE_SKIP_BROWSER=1 "$REPO/tools/install-deps.sh" \
    2>&1 | sed 's/^/    /'
if [ "$VENV" != "$REPO/.venv" ]; then
    # a venv of its own (systemd units run /opt/novalite/venv): a plain
    # install of this checkout, redone when the checkout changes
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    want=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || date +%s)
    if [ "$(cat "$VENV/.novalite-stack-stamp" 2>/dev/null)" != "$want" ]; then
        say "    installing novalite into $VENV"
        "$VENV/bin/python" -m pip install -q "$REPO"
        echo "$want" >"$VENV/.novalite-stack-stamp"
    fi
fi

# --- 2. libvirt, noVNC, the guest image ----------------------------------------

stage "libvirt and QEMU"
virt_type=$("$REPO/tools/install-libvirt.sh" --venv "$VENV" 2> >(sed 's/^/    /' >&2) \
    | tail -1 | cut -d= -f2)
[ -n "$virt_type" ] || die "install-libvirt.sh chose no virt_type"
say "    virt_type = $virt_type"

stage "noVNC client"
"$REPO/tools/install-novnc.sh" "$NOVNC_DIR" 2>&1 | sed 's/^/    /'

stage "tiny guest image (built in the background)"
mkdir -p "$LOG_DIR"
"$REPO/tools/build-guest-image.sh" "$IMAGE_DIR" >"$LOG_DIR/build-guest-image.log" 2>&1 &
image_build=$!

# --- 3. the stack's own vhost and database ------------------------------------

# Each rabbitmqctl starts an Erlang VM (seconds on a busy machine): the
# vhost and the user are made side by side, and all of it runs while the
# database is prepared.
rmq() { rabbitmqctl -q "$@"; }
rabbit_vhost() {
    rmq list_vhosts | grep -qx "$RABBIT_VHOST" || rmq add_vhost "$RABBIT_VHOST"
}
rabbit_user() {
    if rmq list_users | awk '{ print $1 }' | grep -qx "$RABBIT_USER"; then
        rmq authenticate_user "$RABBIT_USER" "$RABBIT_PASSWORD" >/dev/null 2>&1 \
            || rmq change_password "$RABBIT_USER" "$RABBIT_PASSWORD"
    else
        rmq add_user "$RABBIT_USER" "$RABBIT_PASSWORD" >/dev/null
    fi
}
setup_rabbit() {
    local v u
    rabbit_vhost & v=$!
    rabbit_user & u=$!
    wait $v && wait $u
    rmq set_permissions -p "$RABBIT_VHOST" "$RABBIT_USER" '.*' '.*' '.*' >/dev/null
}
stage "RabbitMQ vhost $RABBIT_VHOST, user $RABBIT_USER (background)"
setup_rabbit >"$LOG_DIR/stack-rabbitmq.log" 2>&1 &
rabbit_job=$!

stage "MariaDB database $DB_NAME, user $DB_USER"
mariadb --socket="$MYSQL_SOCKET" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
SQL
save_settings

# --- 4. configuration ----------------------------------------------------------

# novalite-compute runs as novalite; its privileged helper (oslo.privsep)
# starts through sudo, which etc/sudoers.d/novalite-privsep allows for that
# one command: installed with this stack's venv and config file in it.
install_sudoers() {
    local dest=/etc/sudoers.d/novalite-privsep rule tmp
    command -v visudo >/dev/null || die "sudo is not installed (the compute needs it)"
    [[ "$VENV$CONF" =~ ^/[A-Za-z0-9_./-]+$ ]] \
        || die "venv $VENV or config $CONF: a path sudoers cannot hold"
    rule=$(cat "$REPO/etc/sudoers.d/novalite-privsep")
    rule=${rule//\/opt\/novalite\/venv\//$VENV/}
    rule=${rule//\/etc\/novalite\/novalite\\.conf/${CONF//./\\.}}
    tmp=$(mktemp)
    printf '%s\n' "$rule" >"$tmp"
    if ! visudo -cqf "$tmp"; then rm -f "$tmp"; die "visudo rejects the rule for $dest"; fi
    if cmp -s "$tmp" "$dest"; then rm -f "$tmp"
    else install -m 0440 -o root -g root "$tmp" "$dest"; rm -f "$tmp"; say "    installed $dest"; fi
}

stage "config $CONF"
mkdir -p "$CONF_DIR" "$STATE_DIR/instances" "$STATE_DIR/images" \
    "$STATE_DIR/lock" "$RUN_DIR"
if [ $use_systemd = 1 ]; then
    getent group novalite >/dev/null || groupadd -r novalite
    getent passwd novalite >/dev/null || useradd -r -g novalite \
        -G libvirt,kvm -d "$STATE_DIR" -s /usr/sbin/nologin novalite
    chown -R novalite:novalite "$STATE_DIR"
    install_sudoers
fi
# QEMU (libvirt-qemu) reads the instance disks below state_path
chmod 0755 "$STATE_DIR" "$STATE_DIR/instances" "$STATE_DIR/images"

# "section key value" lines applied to the generated sample
settings() {
    cat <<EOF
DEFAULT host $NL_HOST
DEFAULT transport_url rabbit://$RABBIT_USER:$RABBIT_PASSWORD@127.0.0.1:5672/$RABBIT_VHOST
DEFAULT state_path $STATE_DIR
DEFAULT compute_driver libvirt.LibvirtDriver
DEFAULT my_ip 127.0.0.1
DEFAULT osapi_compute_listen 127.0.0.1
DEFAULT osapi_compute_listen_port $API_PORT
DEFAULT osapi_compute_workers 1
DEFAULT metadata_listen $GATEWAY
DEFAULT metadata_listen_port $METADATA_PORT
DEFAULT metadata_workers 1
api auth_strategy noauth2
conductor workers 1
scheduler workers 1
libvirt virt_type $virt_type
libvirt domain_name_template $DOMAIN_PREFIX%08x
network network_name $NETWORK_NAME
network bridge $BRIDGE
network fixed_range $FIXED_RANGE
vnc server_listen 127.0.0.1
vnc server_proxyclient_address 127.0.0.1
vnc novncproxy_host 127.0.0.1
vnc novncproxy_port $NOVNC_PORT
vnc novncproxy_base_url http://127.0.0.1:$NOVNC_PORT/vnc_auto.html
vnc web $NOVNC_DIR
oslo_concurrency lock_path $STATE_DIR/lock
EOF
    [ $use_systemd = 1 ] && echo "DEFAULT log_dir $LOG_DIR"
    return 0
}

# Set options in an oslo.config sample: each "key = value" goes right under
# its commented default ("#key = ...") in its section, or at the end of the
# section when the sample has no such line.
render_conf() {  # SAMPLE OUT < settings
    "$VENV/bin/python" -c "$RENDER_PY" "$@"
}
RENDER_PY=$(cat <<'PY'
import re, sys
sample, out = sys.argv[1:3]
wanted = {}
for line in sys.stdin:
    section, key, value = line.rstrip('\n').split(' ', 2)
    wanted.setdefault(section, {})[key] = value
lines = open(sample).read().splitlines() if sample != '-' else []
result, section, done = [], None, set()

def flush(sec):
    for key, value in wanted.get(sec, {}).items():
        if (sec, key) not in done:
            result.append('%s = %s' % (key, value))
            done.add((sec, key))

for line in lines:
    m = re.match(r'^\[(.+)\]\s*$', line)
    if m:
        if section is not None:
            flush(section)
        section = m.group(1)
        result.append(line)
        continue
    result.append(line)
    m = re.match(r'^#\s*([A-Za-z0-9_]+) = ', line)
    if m and section in wanted and m.group(1) in wanted[section] \
            and (section, m.group(1)) not in done:
        result.append('%s = %s' % (m.group(1), wanted[section][m.group(1)]))
        done.add((section, m.group(1)))
if section is not None:
    flush(section)
for sec in wanted:
    if any((sec, k) not in done for k in wanted[sec]):
        result.append('')
        result.append('[%s]' % sec)
        flush(sec)
with open(out + '.tmp', 'w') as f:
    f.write('\n'.join(result) + '\n')
PY
)
settings | render_conf "$REPO/etc/novalite/novalite.conf.sample" "$CONF"
echo "database connection mysql+pymysql://$DB_USER:$DB_PASSWORD@127.0.0.1/$DB_NAME?charset=utf8mb4" \
    | render_conf - "$DB_CONF"
conf_changed=0
for f in "$CONF" "$DB_CONF"; do
    if cmp -s "$f.tmp" "$f"; then rm -f "$f.tmp"
    else
        # name the options that changed (values may hold passwords)
        [ -e "$f" ] && say "    changed in $f:" $(diff "$f" "$f.tmp" \
            | sed -n 's/^[<>] \([A-Za-z0-9_]*\) = .*/\1/p' | sort -u)
        mv -f "$f.tmp" "$f"; conf_changed=1
    fi
done
if [ $use_systemd = 1 ]; then
    chown root:novalite "$CONF" "$DB_CONF"
    chmod 0640 "$CONF" "$DB_CONF"
else
    chmod 0644 "$CONF"; chmod 0600 "$DB_CONF"
fi
[ $conf_changed = 1 ] && say "    written" || say "    unchanged"

manage() { "$VENV/bin/novalite-manage" --config-file "$CONF" --config-file "$DB_CONF" "$@"; }

stage "database schema (novalite-manage db sync)"
manage db sync 2>&1 | sed 's/^/    /'

# the images go into the database directly (novalite-manage), no daemon
# needed: imported while the daemons start
stage "guest images (import in the background)"
import_images() {
    "$REPO/tools/import-guest-image.sh" --config-file "$CONF" \
        --config-file "$DB_CONF" --min-ram 96 "$IMAGE_DIR"
}
import_images >"$RUN_DIR/images.ids" 2>"$LOG_DIR/import-guest-image.log" &
image_import=$!

# --- 5. daemons ------------------------------------------------------------------

# Run CMD... and start it again whenever it exits, until SIGTERM (then the
# daemon gets SIGTERM too). Quick deaths back off up to 30 s.
supervise() {  # NAME PIDFILE LOG CMD...
    local name=$1 pidfile=$2 log=$3 child='' rc delay=1 began
    shift 3
    stopping=0
    trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
    while [ "$stopping" = 0 ]; do
        echo "==== supervisor: starting $name at $(date -u +%FT%TZ)" >>"$log"
        began=$SECONDS
        "$@" </dev/null >>"$log" 2>&1 &
        child=$!
        echo "$child" >"$pidfile"
        while :; do
            rc=0; wait "$child" || rc=$?
            kill -0 "$child" 2>/dev/null || break
        done
        [ "$stopping" = 0 ] || break
        if [ $((SECONDS - began)) -gt 30 ]; then delay=1
        else delay=$((delay * 2 > 30 ? 30 : delay * 2)); fi
        echo "==== supervisor: $name exited with $rc; restarting in ${delay}s" >>"$log"
        sleep "$delay" & wait $! || true
    done
    rm -f "$pidfile"
    echo "==== supervisor: $name stopped at $(date -u +%FT%TZ)" >>"$log"
}

alive() { [ -r "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_daemon() {  # NAME
    local name=$1 args=(--config-file "$CONF")
    [ "$name" = conductor ] && args+=(--config-file "$DB_CONF")
    if [ $use_systemd = 1 ]; then
        # the unit as shipped, plus a drop-in naming this stack's venv and
        # config files (the conductor alone gets the database's)
        local unit=novalite-$name.service
        install -m 0644 "$REPO/systemd/$unit" /etc/systemd/system/$unit
        mkdir -p /etc/systemd/system/$unit.d
        printf '[Service]\nExecStart=\nExecStart=%s %s\n' \
            "$VENV/bin/novalite-$name" "${args[*]}" \
            >/etc/systemd/system/$unit.d/stack.conf
        return
    fi
    local sup=$RUN_DIR/$name.supervisor.pid pid=$RUN_DIR/$name.pid
    if alive "$sup"; then
        if [ $conf_changed = 1 ] && alive "$pid"; then
            kill -TERM "$(cat "$pid")"; say "    $name: restarting (config changed)"
        elif alive "$pid"; then
            say "    $name: running (pid $(cat "$pid"))"
        else
            say "    $name: being restarted by its supervisor"
        fi
        return
    fi
    setsid bash -c "$(declare -f supervise); supervise \"\$@\"" supervise \
        "$name" "$pid" "$LOG_DIR/$name.log" "$VENV/bin/novalite-$name" "${args[@]}" \
        </dev/null >/dev/null 2>&1 &
    echo $! >"$sup"
    say "    $name: started (supervisor pid $!)"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

services_up() {  # BINARY... : every one "up" in the service list
    local list b
    list=$(manage service list 2>/dev/null) || return 1
    for b in "$@"; do
        awk -F'|' -v b="novalite-$b" -v h="$NL_HOST" '
            { for (i = 2; i <= 7; i++) gsub(/^ +| +$/, "", $i) }
            $3 == b && $4 == h && $7 == "up" { found = 1 }
            END { exit !found }' <<<"$list" || return 1
    done
}

wait_until() {  # SECONDS WHAT CMD...
    local secs=$1 what=$2; shift 2
    local end=$((SECONDS + secs))
    until "$@"; do
        [ $SECONDS -lt $end ] || die "$what not ready after ${secs}s; see $LOG_DIR"
        sleep 0.5
    done
}

ours_running() {  # NAME
    if [ $use_systemd = 1 ]; then systemctl is-active -q "novalite-$1.service"
    else alive "$RUN_DIR/$1.pid"; fi
}
served() { port_open 127.0.0.1 "$2" && ours_running "$1"; }  # NAME PORT

stage "daemons"
mkdir -p "$LOG_DIR" "$RUN_DIR"
if ! wait "$rabbit_job"; then
    sed 's/^/    /' "$LOG_DIR/stack-rabbitmq.log"
    die "RabbitMQ vhost/user set-up failed"
fi
# a port some other program holds would pass for our daemon's
for np in "api $API_PORT API" "novncproxy $NOVNC_PORT NOVNC"; do
    set -- $np
    if port_open 127.0.0.1 "$2" && ! ours_running "$1"; then
        die "127.0.0.1:$2 is taken by another program (not this stack's $1); set NOVALITE_$3_PORT"
    fi
done
systemd_start() {  # NAME...
    local units=("${@/#/novalite-}")
    units=("${units[@]/%/.service}")
    systemctl daemon-reload
    systemctl enable -q "${units[@]}"
    if [ $conf_changed = 1 ]; then systemctl restart "${units[@]}"
    else systemctl start "${units[@]}"; fi
    say "    started ${units[*]}"
}
# The API goes last: its metadata listener binds the gateway address of the
# bridge the compute creates.
for d in "${DAEMONS[@]:0:5}"; do start_daemon "$d"; done
[ $use_systemd = 1 ] && systemd_start "${DAEMONS[@]:0:5}"
wait_until 120 "conductor, compute, scheduler, consoleauth" \
    services_up conductor compute scheduler consoleauth
start_daemon api
[ $use_systemd = 1 ] && systemd_start api
wait_until 60 "novalite-api on 127.0.0.1:$API_PORT" served api "$API_PORT"
wait_until 60 "novalite-novncproxy on 127.0.0.1:$NOVNC_PORT" served novncproxy "$NOVNC_PORT"
say "    all six daemons up"

# --- 6. images, flavors, the demo server -------------------------------------

stage "guest images"
wait "$image_build" || die "build-guest-image.sh failed; see $LOG_DIR/build-guest-image.log"
wait "$image_import" || die "import-guest-image.sh failed; see $LOG_DIR/import-guest-image.log"
sed 's/^/    /' "$LOG_DIR/import-guest-image.log"
ami_id=$(sed -n 's/^ami_id=//p' "$RUN_DIR/images.ids")
[ -n "$ami_id" ] || die "no image id from import-guest-image.sh"

API_URL=http://127.0.0.1:$API_PORT
stage "flavors"
"$VENV/bin/python" "$REPO/tools/stack-api.py" --api "$API_URL" flavors 2>&1 \
    | sed 's/^stack: /    /'

result=
if [ "${NOVALITE_DEMO:-1}" != 0 ]; then
    stage "demo server $DEMO_NAME"
    # the compute reports its resources a little after it is up
    result=$("$VENV/bin/python" "$REPO/tools/stack-api.py" --api "$API_URL" \
        demo --name "$DEMO_NAME" --image "$ami_id" --flavor m1.nano \
        2> >(sed 's/^stack: /    /' >&2))
fi

elapsed=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo
say "novalite is up: API $API_URL/v2.1 (noauth2, token admin:admin)"
if [ -n "$result" ]; then
    eval "$result"
    # shellcheck disable=SC2154
    {
        echo "demo server: $DEMO_NAME ($server_id)"
        echo "status:      $status"
        echo "ip:          $ip"
        echo "console:     $console_url"
    } | sed 's/^/stack: /'
fi
say "logs in $LOG_DIR; novalite-manage --config-file $CONF --config-file $DB_CONF service list"
say "elapsed: ${elapsed}s"
