#!/bin/bash
# A controller and two compute nodes on one machine, in network namespaces.
#
# Usage (as root):
#   tools/multinode.sh up       build the namespaces and start everything
#   tools/multinode.sh status   namespaces, daemons, os-services
#   tools/multinode.sh down     stop everything and remove what up made
#
# Layout: namespace <prefix>-controller holds the bridge br0 with
# <subnet>.1, a private RabbitMQ node on <subnet>.1:5672 (its own Mnesia
# directory and Erlang distribution on the namespace's loopback),
# novalite-conductor, -scheduler, -consoleauth, -novncproxy (:6080) and
# -api (:8774). Namespaces <prefix>-cn1 / -cn2 (<subnet>.11 / .12, veths on
# the bridge) each run novalite-compute with its own host and my_ip and the
# fake driver, plus an RFB stub (tests/functional/rfb_stub.py) on the VNC
# ports the fake driver hands out, so console URLs open something. The host
# reaches the bridge through a veth with <subnet>.254. The conductor reaches
# MariaDB through its unix socket (database and user <prefix>, created over
# the socket as root). Nothing is routed beyond the namespaces.
#
# up also imports a tiny image, creates flavor mn.tiny and, unless
# NOVALITE_MN_DEMO=0, boots two servers and prints where they landed and a
# console URL.
#
# With NOVALITE_MN_LIBVIRT=1, cn1 runs the libvirt driver instead (QEMU
# TCG, virt_type = qemu; needs tools/install-libvirt.sh and
# tools/build-guest-image.sh first). libvirtd, QEMU and cn1's libvirt network
# <prefix>-net (bridge <prefix>lv, NAT, a free 10.253.N.0/24) stay in the
# host's namespace; cn1 drives libvirtd through its unix socket. Its guests'
# VNC servers listen on the host side of the lab, <subnet>.254, which the
# controller's novncproxy reaches over the bridge. up then imports the tiny
# guest (tools/import-guest-image.sh), creates flavor mn.lv and boots one
# real guest on cn1 (and one fake server on cn2), waits for the guest's
# console banner and prints its console URL. Not in this layout: metadata
# (cn1's DNAT rule would land in cn1's namespace, but guest traffic enters
# the host's) and releasing a deleted guest's DHCP lease (dhcp_release runs
# in cn1, where the bridge does not exist). down also removes the domains
# <prefix>-XXXXXXXX and the network.
#
# Environment (defaults in brackets):
#   NOVALITE_MN_PREFIX   namespace / database / node name prefix [nlmn]
#   NOVALITE_MN_SUBNET   first three octets [10.254.77, else a free 10.254.N]
#   NOVALITE_MN_DIR      configs, logs, pid files, RabbitMQ data
#                        [/tmp/novalite-multinode-<prefix>]
#   NOVALITE_VENV        venv with the novalite-* scripts [<repo>/.venv]
#   NOVALITE_MN_DEMO     1 boots two demo servers [1]
#   NOVALITE_MN_LIBVIRT  1 runs cn1 with the libvirt driver [0]
#   NOVALITE_GUEST_IMAGE_DIR  the built tiny guest
#                        [/var/lib/novalite/guest-image]
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${NOVALITE_MN_PREFIX:-nlmn}
DIR=${NOVALITE_MN_DIR:-/tmp/novalite-multinode-$PREFIX}
VENV=${NOVALITE_VENV:-$REPO/.venv}
MYSQL_SOCKET=/run/mysqld/mysqld.sock
COMPUTES=(cn1 cn2)
CTL_DAEMONS=(conductor consoleauth novncproxy scheduler api)
LIBVIRT=${NOVALITE_MN_LIBVIRT:-0}
LV_URI=qemu:///system
GUEST_IMAGE_DIR=${NOVALITE_GUEST_IMAGE_DIR:-/var/lib/novalite/guest-image}

say() { echo "multinode: $*"; }
die() { echo "multinode: ERROR: $*" >&2; exit 1; }
ns() { echo "$PREFIX-$1"; }
in_ns() { local node=$1; shift; ip netns exec "$(ns "$node")" "$@"; }

rabbit_env() {
    export RABBITMQ_NODENAME="$PREFIX@localhost"
    export RABBITMQ_NODE_IP_ADDRESS="$SUBNET.1"
    export RABBITMQ_NODE_PORT=5672
    export RABBITMQ_DIST_PORT=25672
    export RABBITMQ_CONFIG_FILE="$DIR/rabbit/rabbitmq.conf"
    export RABBITMQ_CONF_ENV_FILE="$DIR/rabbit/rabbitmq-env.conf"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/rabbit/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$DIR/rabbit/mnesia"
    export RABBITMQ_LOG_BASE="$DIR/rabbit/log"
    export RABBITMQ_PLUGINS_EXPAND_DIR="$DIR/rabbit/plugins-expand"
    export RABBITMQ_PID_FILE="$DIR/rabbit/rabbit.pid"
    export ERL_FLAGS='-kernel inet_dist_use_interface {127,0,0,1}'
}
rabbitctl() { in_ns controller rabbitmqctl -n "$PREFIX@localhost" "$@"; }

# free_subnet [SECOND_OCTET]: a free 10.<octet>.N (254 by default)
free_subnet() {
    local used n b=${1:-254}
    used=$(ip -4 route show table all; ip -4 addr)
    for n in 77 $(shuf -i 1-249); do
        grep -q "10\.$b\.$n\." <<<"$used" || { echo "10.$b.$n"; return; }
    done
    die "no free 10.$b.N.0/24"
}

# lv_node NODE: does NODE run the libvirt driver (NOVALITE_MN_LIBVIRT=1)?
lv_node() { [ "$LIBVIRT" = 1 ] && [ "$1" = cn1 ]; }

# --- up ----------------------------------------------------------------------

make_network() {
    local ctl i node
    ctl=$(ns controller)
    ip netns add "$ctl"
    ip -n "$ctl" link set lo up
    ip -n "$ctl" link add br0 type bridge
    ip -n "$ctl" addr add "$SUBNET.1/24" dev br0
    ip -n "$ctl" link set br0 up
    # The host's way in: <prefix>h0 here, <prefix>h1 on the bridge.
    ip link add "${PREFIX}h1" type veth peer name "${PREFIX}h0"
    ip link set "${PREFIX}h1" netns "$ctl"
    ip -n "$ctl" link set "${PREFIX}h1" master br0 up
    ip addr add "$SUBNET.254/24" dev "${PREFIX}h0"
    ip link set "${PREFIX}h0" up
    i=0
    for node in "${COMPUTES[@]}"; do
        i=$((i + 1))
        ip netns add "$(ns "$node")"
        ip -n "$(ns "$node")" link set lo up
        ip link add "${PREFIX}a$i" type veth peer name "${PREFIX}b$i"
        ip link set "${PREFIX}a$i" netns "$ctl"
        ip -n "$ctl" link set "${PREFIX}a$i" master br0 up
        ip link set "${PREFIX}b$i" netns "$(ns "$node")"
        ip -n "$(ns "$node")" link set "${PREFIX}b$i" name eth0
        ip -n "$(ns "$node")" addr add "$SUBNET.$((10 + i))/24" dev eth0
        ip -n "$(ns "$node")" link set eth0 up
    done
}

start_rabbit() {
    mkdir -p "$DIR/rabbit"
    cat > "$DIR/rabbit/rabbitmq.conf" <<EOF
listeners.tcp.local = $SUBNET.1:5672
loopback_users = none
EOF
    echo '[].' > "$DIR/rabbit/enabled_plugins"
    : > "$DIR/rabbit/rabbitmq-env.conf"
    chown -R rabbitmq:rabbitmq "$DIR/rabbit"
    rabbit_env
    in_ns controller rabbitmq-server -detached
    rabbitctl wait --timeout 90 "$RABBITMQ_PID_FILE" >/dev/null
    rabbitctl await_startup --timeout 90 >/dev/null
    rabbitctl add_user "$PREFIX" "$RABBIT_PASSWORD" >/dev/null
    rabbitctl set_permissions -p / "$PREFIX" '.*' '.*' '.*' >/dev/null
    rabbitctl delete_user guest >/dev/null
}

make_database() {
    mysql --socket="$MYSQL_SOCKET" -u root <<EOF
CREATE DATABASE \`$PREFIX\` CHARACTER SET utf8mb4;
CREATE USER '$PREFIX'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$PREFIX\`.* TO '$PREFIX'@'localhost';
EOF
}

write_configs() {
    local i node ip
    mkdir -p "$DIR/etc" "$DIR/logs" "$DIR/run" "$DIR/state/instances" \
        "$DIR/locks"
    # What every node shares: the controller's RabbitMQ and URLs.
    cat > "$DIR/etc/novalite.conf" <<EOF
[DEFAULT]
transport_url = rabbit://$PREFIX:$RABBIT_PASSWORD@$SUBNET.1:5672/
compute_driver = fake.FakeDriver
state_path = $DIR/state
instances_path = $DIR/state/instances
osapi_compute_listen = $SUBNET.1
metadata_listen = $SUBNET.1
osapi_compute_workers = 1
metadata_workers = 1
report_interval = 5
service_down_time = 20

[api]
auth_strategy = noauth2
# The API listens on a namespace address only this machine reaches.
allow_noauth2_on_public_address = true

[conductor]
workers = 1

[scheduler]
workers = 1

[vnc]
novncproxy_host = $SUBNET.1
novncproxy_port = 6080
novncproxy_base_url = http://$SUBNET.1:6080/vnc_auto.html

[oslo_concurrency]
lock_path = $DIR/locks
EOF
    # Only the conductor and novalite-manage read [database].
    cat > "$DIR/etc/db.conf" <<EOF
[database]
connection = mysql+pymysql://$PREFIX:$DB_PASSWORD@localhost/$PREFIX?unix_socket=$MYSQL_SOCKET&charset=utf8mb4
EOF
    cat > "$DIR/etc/controller.conf" <<EOF
[DEFAULT]
host = controller
my_ip = $SUBNET.1
EOF
    i=0
    for node in "${COMPUTES[@]}"; do
        i=$((i + 1))
        ip=$SUBNET.$((10 + i))
        if lv_node "$node"; then
            write_libvirt_config "$node" "$ip"
            continue
        fi
        cat > "$DIR/etc/$node.conf" <<EOF
[DEFAULT]
host = $node
my_ip = $ip

[vnc]
server_listen = $ip
server_proxyclient_address = $ip
EOF
    done
    chmod 600 "$DIR/etc/novalite.conf" "$DIR/etc/db.conf"
}

# write_libvirt_config NODE IP: NODE's config for the libvirt driver.
write_libvirt_config() {
    local node=$1 ip=$2
    # QEMU runs as libvirt-qemu: every directory down to a disk must be
    # searchable by others.
    mkdir -p "$DIR/lv-instances"
    chmod 0755 "$DIR" "$DIR/lv-instances"
    cat > "$DIR/etc/$node.conf" <<EOF
[DEFAULT]
host = $node
my_ip = $ip
compute_driver = libvirt.LibvirtDriver
instances_path = $DIR/lv-instances

[libvirt]
virt_type = qemu
domain_name_template = $PREFIX-%08x

[network]
network_name = $PREFIX-net
bridge = ${PREFIX}lv
fixed_range = $LV_SUBNET.0/24
# The DNAT rule would go into this node's namespace; guest traffic enters
# the host's.
metadata_redirect = false

[vnc]
# QEMU opens the VNC server in the host's namespace: the host's side of
# the lab is an address it can bind and the controller can reach.
server_listen = $SUBNET.254
server_proxyclient_address = $SUBNET.254
EOF
}

# start NODE NAME COMMAND...: run in NODE's namespace, detached, logged.
start() {
    local node=$1 name=$2
    shift 2
    # ip netns exec and setsid both exec: $! is the daemon's own pid.
    ip netns exec "$(ns "$node")" setsid "$@" \
        < /dev/null >> "$DIR/logs/$name.log" 2>&1 &
    echo $! > "$DIR/run/$name.pid"
}

start_daemons() {
    local d node
    for d in "${CTL_DAEMONS[@]}"; do
        local extra=()
        [ "$d" = conductor ] && extra=(--config-file "$DIR/etc/db.conf")
        start controller "$d" "$VENV/bin/novalite-$d" \
            --config-file "$DIR/etc/novalite.conf" "${extra[@]}" \
            --config-file "$DIR/etc/controller.conf"
        [ "$d" = conductor ] && sleep 2  # its queue first
    done
    for node in "${COMPUTES[@]}"; do
        lv_node "$node" ||
        start "$node" "rfb-$node" python3 "$REPO/tests/functional/rfb_stub.py" \
            --listen "$(node_ip "$node")" --ports 5900-5915 \
            --name "novalite fake guest on $node"
        start "$node" "compute-$node" "$VENV/bin/novalite-compute" \
            --config-file "$DIR/etc/novalite.conf" \
            --config-file "$DIR/etc/$node.conf"
    done
}

node_ip() {
    case $1 in
        controller) echo "$SUBNET.1" ;;
        cn1) echo "$SUBNET.11" ;;
        cn2) echo "$SUBNET.12" ;;
    esac
}

manage() {
    "$VENV/bin/novalite-manage" --config-file "$DIR/etc/novalite.conf" \
        --config-file "$DIR/etc/db.conf" "$@"
}

api() {
    local method=$1 path=$2
    shift 2
    curl -sS -X "$method" -H 'X-Auth-Token: admin:admin' \
        -H 'OpenStack-API-Version: compute 2.11' \
        -H 'Content-Type: application/json' \
        "http://$SUBNET.1:8774/v2.1$path" "$@"
}

wait_until() {
    local what=$1 tries=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || die "timed out waiting for $what (logs: $DIR/logs)"
        sleep 1
    done
}

computes_up() {
    local out
    out=$(manage service list 2>/dev/null)
    [ "$(grep -c 'novalite-compute .*| up ' <<<"$out")" = "${#COMPUTES[@]}" ]
}

server_active() {
    api GET "/servers/$1" | python3 -c \
        'import json,sys; sys.exit(json.load(sys.stdin)["server"]["status"] != "ACTIVE")'
}

# boot NAME IMAGE FLAVOR [AZ]: POST /servers; prints the server's id.
boot() {
    local az=
    [ -n "${4:-}" ] && az=", \"availability_zone\": \"$4\""
    api POST /servers -d "{\"server\": {\"name\": \"$1\",
        \"imageRef\": \"$2\", \"flavorRef\": \"$3\"$az}}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["server"]["id"])'
}

# banner ID: the tiny guest's banner line from its console output.
banner() {
    api POST "/servers/$1/action" -d '{"os-getConsoleOutput": {}}' |
        python3 -c 'import json,sys
lines = [l.strip() for l in json.load(sys.stdin)["output"].splitlines()
         if "novalite tiny guest: hostname=" in l]
print(lines[-1]) if lines else sys.exit(1)'
}

demo() {
    local image flavor id ids=() host url lv_ids=() out
    dd if=/dev/zero of="$DIR/tiny.img" bs=4096 count=1 status=none
    image=$(manage image import --name tiny --file "$DIR/tiny.img" \
        --disk-format raw | awk -F'|' '$2 ~ /^ id / { gsub(/ /, "", $3); print $3 }')
    api POST /flavors -d '{"flavor": {"name": "mn.tiny", "vcpus": 1,
        "ram": 64, "disk": 1, "id": "mn-tiny"}}' >/dev/null
    flavor=mn-tiny
    echo "image=$image" >> "$DIR/multinode.env"
    if [ "$LIBVIRT" = 1 ]; then
        out=$("$REPO/tools/import-guest-image.sh" \
            --config-file "$DIR/etc/novalite.conf" \
            --config-file "$DIR/etc/db.conf" --min-ram 72 \
            "$GUEST_IMAGE_DIR") || die "import-guest-image.sh failed"
        # kernel_id=... ami_id=...: remembered as guest_kernel_id=...
        for id in $out; do
            echo "guest_$id" >> "$DIR/multinode.env"
        done
        api POST /flavors -d '{"flavor": {"name": "mn.lv", "vcpus": 1,
            "ram": 96, "disk": 1, "id": "mn-lv"}}' >/dev/null
    fi
    [ "${NOVALITE_MN_DEMO:-1}" = 1 ] || return 0
    if [ "$LIBVIRT" = 1 ]; then
        # a real guest on cn1, a fake server on cn2
        load_env
        # shellcheck disable=SC2154
        lv_ids+=("$(boot guest-1 "$guest_ami_id" mn-lv nova:cn1)")
        ids+=("$(boot demo-1 "$image" "$flavor" nova:cn2)" "${lv_ids[@]}")
    else
        for i in 1 2; do
            ids+=("$(boot "demo-$i" "$image" "$flavor")")
        done
    fi
    for id in "${ids[@]}"; do
        wait_until "server $id to be ACTIVE" 120 server_active "$id"
        host=$(api GET "/servers/$id" | python3 -c \
            'import json,sys; print(json.load(sys.stdin)["server"]["OS-EXT-SRV-ATTR:host"])')
        url=$(api POST "/servers/$id/remote-consoles" \
            -d '{"remote_console": {"protocol": "vnc", "type": "novnc"}}' |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["remote_console"]["url"])')
        say "server $id ACTIVE on $host; console: $url"
    done
    for id in "${lv_ids[@]}"; do
        wait_until "the console banner of $id" 150 banner "$id"
        say "guest $id: $(banner "$id")"
    done
}

up() {
    [ ! -e "/run/netns/$(ns controller)" ] ||
        die "$(ns controller) exists: run '$0 down' first"
    for tool in ip rabbitmq-server rabbitmqctl mysql curl setsid; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
    [ -S "$MYSQL_SOCKET" ] || die "no MariaDB socket at $MYSQL_SOCKET"
    [ -x "$VENV/bin/novalite-compute" ] || die "no novalite venv at $VENV"
    if [ "$LIBVIRT" = 1 ]; then
        virsh -c "$LV_URI" version >/dev/null 2>&1 ||
            die "libvirtd does not answer on $LV_URI: run tools/install-libvirt.sh"
        [ -e "$GUEST_IMAGE_DIR/vmlinuz" ] ||
            die "no tiny guest in $GUEST_IMAGE_DIR: run tools/build-guest-image.sh"
        ! virsh -c "$LV_URI" net-info "$PREFIX-net" >/dev/null 2>&1 ||
            die "libvirt network $PREFIX-net exists: run '$0 down' first"
    fi
    SUBNET=${NOVALITE_MN_SUBNET:-$(free_subnet)}
    LV_SUBNET=$(free_subnet 253)
    RABBIT_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    DB_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkdir -p "$DIR"
    # Remembered first: down removes whatever got made, even after a failure.
    cat > "$DIR/multinode.env" <<EOF
PREFIX=$PREFIX
SUBNET=$SUBNET
LIBVIRT=$LIBVIRT
LV_SUBNET=$LV_SUBNET
EOF
    trap 'echo "multinode: up failed; run $0 down to clean up" >&2' ERR
    say "network namespaces on $SUBNET.0/24"
    make_network
    say "RabbitMQ node $PREFIX@localhost on $SUBNET.1:5672"
    start_rabbit
    say "MariaDB database $PREFIX"
    make_database
    write_configs
    manage db sync > "$DIR/logs/db-sync.log" 2>&1 ||
        die "db sync failed: $DIR/logs/db-sync.log"
    say "daemons"
    start_daemons
    wait_until "novalite-api" 60 curl -sf "http://$SUBNET.1:8774/"
    wait_until "both computes up" 60 computes_up
    demo
    trap - ERR
    cat <<EOF

multinode: up. Made:
  namespaces   $(ns controller) ($SUBNET.1), $(ns cn1) ($SUBNET.11), $(ns cn2) ($SUBNET.12)
               bridge br0 in $(ns controller); host side ${PREFIX}h0 $SUBNET.254
  controller   conductor scheduler consoleauth novncproxy api, RabbitMQ $PREFIX@localhost
$(computes_summary)
  database     $PREFIX (user $PREFIX@localhost, over $MYSQL_SOCKET)
  API          http://$SUBNET.1:8774/v2.1  (noauth2: X-Auth-Token: admin:admin)
  console      http://$SUBNET.1:6080/vnc_auto.html
  configs      $DIR/etc/novalite.conf (shared), db.conf (conductor only),
               controller.conf, cn1.conf, cn2.conf (host, my_ip, [vnc])
  logs         $DIR/logs/    pid files: $DIR/run/

Try:
  curl -H 'X-Auth-Token: admin:admin' http://$SUBNET.1:8774/v2.1/os-services
  kill \$(cat $DIR/run/compute-cn2.pid)   # cn2 goes down after service_down_time (20 s)
  $0 status
  $0 down
EOF
}

computes_summary() {
    if [ "$LIBVIRT" = 1 ]; then
        echo "  computes     cn1: novalite-compute (libvirt, QEMU TCG), network $PREFIX-net"
        echo "               (bridge ${PREFIX}lv, $LV_SUBNET.0/24), VNC on $SUBNET.254"
        echo "               cn2: novalite-compute (fake driver) + RFB stub on ports 5900-5915"
    else
        echo "  computes     cn1, cn2: novalite-compute (fake driver) + RFB stub on ports 5900-5915"
    fi
}

# --- status / down -------------------------------------------------------------

load_env() {
    [ -f "$DIR/multinode.env" ] || return 1
    # shellcheck disable=SC1091
    . "$DIR/multinode.env"
}

status() {
    load_env || die "nothing is up (no $DIR/multinode.env)"
    local f name pid
    ip netns list | grep "^$PREFIX-" || true
    for f in "$DIR"/run/*.pid; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .pid)
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then
            say "$name running (pid $pid)"
        else
            say "$name NOT running"
        fi
    done
    manage service list 2>/dev/null || true
}

# The domains and network of cn1 (NOVALITE_MN_LIBVIRT=1), by their names.
remove_libvirt() {
    local name
    for name in $(virsh -c "$LV_URI" list --all --name); do
        [[ $name =~ ^$PREFIX-[0-9a-f]{8}$ ]] || continue
        virsh -c "$LV_URI" destroy "$name" >/dev/null 2>&1 || true
        virsh -c "$LV_URI" undefine "$name" --managed-save >/dev/null 2>&1 || true
        say "removed domain $name"
    done
    if virsh -c "$LV_URI" net-info "$PREFIX-net" >/dev/null 2>&1; then
        virsh -c "$LV_URI" net-destroy "$PREFIX-net" >/dev/null 2>&1 || true
        virsh -c "$LV_URI" net-undefine "$PREFIX-net" >/dev/null 2>&1 || true
        say "removed libvirt network $PREFIX-net"
    fi
}

down() {
    local f pid netns n
    load_env || SUBNET=
    for f in "$DIR"/run/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 2
    if [ -e "/run/netns/$(ns controller)" ]; then
        rabbit_env
        rabbitctl stop >/dev/null 2>&1 || true
    fi
    # Whatever still runs in the namespaces was started by up (epmd too).
    for netns in $(ns controller) $(ns cn1) $(ns cn2); do
        [ -e "/run/netns/$netns" ] || continue
        for pid in $(ip netns pids "$netns"); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$netns"
        say "removed namespace $netns"
    done
    for n in h0 b1 b2; do
        ip link del "$PREFIX$n" 2>/dev/null || true
    done
    [ "${LIBVIRT:-0}" != 1 ] || remove_libvirt
    mysql --socket="$MYSQL_SOCKET" -u root -e \
        "DROP DATABASE IF EXISTS \`$PREFIX\`; DROP USER IF EXISTS '$PREFIX'@'localhost';" ||
        say "could not drop database $PREFIX"
    rm -rf "$DIR"
    say "down: removed $DIR"
}

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
[[ $PREFIX =~ ^[a-z][a-z0-9]{0,11}$ ]] ||
    die "NOVALITE_MN_PREFIX must be 1-12 lower-case letters/digits (link names)"
case ${1:-} in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
