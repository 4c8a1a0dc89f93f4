#!/usr/bin/env bash
# A multi-machine test bed on one host: a GlusterFS server and N "machines",
# each machine a network namespace and a private mount namespace with its
# own FUSE mount of one GlusterFS volume, its own pas runtime and state
# directories and configuration. Machines share nothing but the volume.
#
#   testbed.sh up DIR N [--paths same|different] [--owner PID]
#   testbed.sh exec DIR I [--] CMD...      run CMD inside machine I (1..N)
#   testbed.sh env DIR I                   the environment of machine I (K=V lines)
#   testbed.sh cut DIR I | heal DIR I      take machine I's link down / up
#   testbed.sh kill-client DIR I           SIGKILL machine I's FUSE client
#   testbed.sh remount DIR I               mount the volume again in machine I
#   testbed.sh down DIR                    tear everything down (idempotent)
#
# Everything lives under DIR (a per-test scratch directory): brick, glusterd
# working directory, logs, pid files, mount points, runtimes. Namespaces are
# anonymous (held by one `sleep` process each, never named in /run/netns)
# and every interface name is local to its namespace, so any number of beds
# run at once. Addresses are link-local only: the server is 169.254.1.1,
# machine I is 169.254.1.(10+I), on a bridge inside the server's namespace.
# glusterd runs in its own mount namespace in which /run, /var/log/glusterfs
# and /var/lib/glusterd are bind mounts of DIR, so nothing is left behind.
#
# Teardown is by recorded process ID: the FUSE clients, the brick and
# glusterd (their pid files), every process still inside a machine's mount
# namespace, then the namespace holders. `up` starts a watchdog that runs
# `down` when the owner process (default: the caller) ends, so a crashed
# test leaves nothing running. Layout and options: doc/multi-machine.md.
set -euo pipefail

die() { echo "testbed: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: testbed.sh up|exec|env|cut|heal|kill-client|remount|down DIR ..."
cmd=$1
D=$(realpath -m "$2")
shift 2
VOL=gv0
SERVER_IP=169.254.1.1

machine_ip() { echo "169.254.1.$((10 + $1))"; }
holder() { cat "$D/$1/holder.pid" 2>/dev/null || true; }
in_ns() { local pid=$1; shift; nsenter -t "$pid" -m -n -- "$@"; }
mountpoint_of() { cat "$D/m$1/mountpoint"; }

# Starts a process holding fresh network and mount namespaces; prints its pid.
start_holder() {
  local name=$1
  mkdir -p "$D/$name"
  setsid unshare --net --mount --propagation private -- sleep infinity \
    </dev/null >"$D/$name/holder.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$D/$name/holder.pid"
  # unshare execs sleep in the new namespaces: wait until they are there.
  for _ in $(seq 200); do
    if [ "$(readlink /proc/$pid/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
       [ "$(readlink /proc/$pid/exe 2>/dev/null)" = "$(readlink -f "$(command -v sleep)")" ]; then
      echo "$pid"; return 0
    fi
    sleep 0.01
  done
  die "namespaces for $name not created (unshare: $(cat "$D/$name/holder.log"))"
}


client_mount() {
  local i=$1 mp h
  mp=$(mountpoint_of "$i")
  h=$(holder "m$i")
  in_ns "$h" glusterfs --volfile-server="$SERVER_IP" --volfile-id="$VOL" \
    --direct-io-mode=enable --attribute-timeout=0 --entry-timeout=0 --negative-timeout=0 \
    --log-file="$D/m$i/glusterfs.log" --pid-file="$D/m$i/glusterfs.pid" "$mp" ||
    die "machine $i: mount failed (see $D/m$i/glusterfs.log)"
  for _ in $(seq 400); do
    grep -q " $mp [^ ]* - fuse.glusterfs " "/proc/$h/mountinfo" 2>/dev/null && return 0
    sleep 0.025
  done
  die "machine $i: mount did not appear at $mp (see $D/m$i/glusterfs.log)"
}

up() {
  local n=$1 paths=same owner=$PPID
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --paths) paths=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ "$n" -ge 1 ] && [ "$n" -le 8 ] || die "1..8 machines"
  [ -c /dev/fuse ] || die "/dev/fuse is missing: FUSE mounts of GlusterFS cannot run here"
  [ "$(id -u)" -eq 0 ] || die "needs root (network and mount namespaces, FUSE mounts)"
  for t in glusterd gluster glusterfs unshare nsenter ip; do
    command -v "$t" >/dev/null || die "$t not installed (scripts/deps.sh installs glusterfs-server, glusterfs-client)"
  done
  [ ! -e "$D/bed" ] || die "$D already holds a test bed"
  mkdir -p "$D"
  echo "$n" >"$D/bed"
  READY=0
  trap '[ "$READY" = 1 ] || { echo "testbed: set-up failed; tearing down" >&2; "$0" down "$D" >/dev/null 2>&1 || true; }' EXIT

  # --- the server: bridge, glusterd, brick. One shell per namespace: on a
  # loaded machine every extra process costs a tenth of a second.
  local s
  s=$(start_holder server)
  mkdir -p "$D/server/run/gluster" "$D/server/log" "$D/server/lib" "$D/server/brick"
  cp -a /var/lib/glusterd/. "$D/server/lib/" 2>/dev/null || true
  # No name server is reachable from the bed: without a resolver that
  # gives up at once glusterd waits for the host's (two 10 s timeouts).
  echo "options timeout:1 attempts:1" >"$D/server/resolv.conf"
  # glusterd configures geo-replication at start by running the Python
  # gsyncd a dozen times (over 10 s on a loaded machine); the bed does not
  # use geo-replication: a stand-in answers the version check and accepts
  # the configuration calls at once.
  local gsyncd
  gsyncd=$(glusterd --print-libexecdir 2>/dev/null || true)/gsyncd
  printf '#!/bin/sh\n[ "$1" = --version ] && echo "gsyncd.py 4.0.0"\nexit 0\n' >"$D/server/gsyncd"
  chmod +x "$D/server/gsyncd"
  sed -e "s|option working-directory .*|option working-directory $D/server/lib|" \
      /etc/glusterfs/glusterd.vol >"$D/server/glusterd.vol"
  in_ns "$s" sh -euc '
    D=$1; gsyncd=$2; ip=$3
    mount --bind "$D/server/run" /run
    mount --bind "$D/server/log" /var/log/glusterfs
    mount --bind "$D/server/lib" /var/lib/glusterd
    mount --bind "$D/server/resolv.conf" /etc/resolv.conf
    if [ -e "$gsyncd" ]; then mount --bind "$D/server/gsyncd" "$gsyncd"; fi
    ip link set lo up
    ip link add br0 type bridge
    ip addr add "$ip/16" dev br0
    ip link set br0 up
    glusterd -f "$D/server/glusterd.vol" -p "$D/server/glusterd.pid" -l "$D/server/glusterd.log"
  ' sh "$D" "$gsyncd" "$SERVER_IP"

  # --- the machines: namespaces and links (interfaces are named inside
  # their namespaces only, so concurrent beds never collide)
  local i m
  for i in $(seq "$n"); do
    m=$(start_holder "m$i")
    mkdir -p "$D/m$i/runtime" "$D/m$i/state" "$D/m$i/log" "$D/m$i/run"
    if [ "$paths" = different ] && [ "$i" -gt 1 ]; then
      echo "$D/m$i/dasd" >"$D/m$i/mountpoint"
    else
      echo "$D/dasd" >"$D/m$i/mountpoint"
    fi
    mkdir -p "$(mountpoint_of "$i")"
    nsenter -t "$s" -n -- sh -euc 'ip link add "$1" type veth peer name eth0 netns "$2"
                                   ip link set "$1" master br0 up' sh "m$i" "$m"
    # FUSE client logs and run files stay in DIR too.
    in_ns "$m" sh -euc '
      ip link set lo up
      ip addr add "$2/16" dev eth0
      ip link set eth0 up
      mount --bind "$1/log" /var/log/glusterfs
      mount --bind "$1/run" /run/gluster
    ' sh "$D/m$i" "$(machine_ip "$i")"
  done

  # --- the volume (glusterd's socket appears in DIR/server/run)
  for _ in $(seq 400); do [ -S "$D/server/run/glusterd.socket" ] && break; sleep 0.025; done
  [ -S "$D/server/run/glusterd.socket" ] || die "glusterd did not start (see $D/server/glusterd.log)"
  # Coherence across mounts: no client-side caches; locks fenced after a
  # disconnect; a dead peer noticed in seconds (doc/multi-machine.md).
  in_ns "$s" sh -euc '
    g() { gluster --mode=script "$@" >/dev/null; }
    for _ in $(seq 100); do gluster --mode=script volume list >/dev/null 2>&1 && break; sleep 0.05; done
    g volume create "$1" "$2:$3/server/brick" force
    g volume set "$1" \
      performance.write-behind off performance.read-ahead off performance.io-cache off \
      performance.quick-read off performance.stat-prefetch off performance.open-behind off \
      performance.readdir-ahead off performance.nl-cache off performance.client-io-threads off \
      client.strict-locks on network.ping-timeout 5 server.tcp-user-timeout 10 \
      server.keepalive-time 5 server.keepalive-interval 1 server.keepalive-count 5
    g volume start "$1"
  ' sh "$VOL" "$SERVER_IP" "$D"
  for i in $(seq "$n"); do client_mount "$i"; done

  # The watchdog: tears down when the owner is gone.
  setsid bash -c 'while kill -0 '"$owner"' 2>/dev/null && [ -e "'"$D"'/bed" ]; do sleep 1; done
                  "'"$0"'" down "'"$D"'" >/dev/null 2>&1' </dev/null >/dev/null 2>&1 &
  echo $! >"$D/watchdog.pid"
  READY=1
  for i in $(seq "$n"); do echo "machine $i: $(machine_ip "$i") $(mountpoint_of "$i")"; done
}

machine_env() {
  local i=$1
  echo "PAS_RUNTIME_DIR=$D/m$i/runtime"
  echo "PAS_STATE_DIR=$D/m$i/state"
  echo "PAS_MOUNT=$(mountpoint_of "$i")"
  echo "PAS_MACHINE=$i"
}

machine_exec() {
  local i=$1; shift
  [ "${1:-}" = "--" ] && shift
  local h; h=$(holder "m$i")
  [ -n "$h" ] && kill -0 "$h" 2>/dev/null || die "machine $i is not running"
  local envs=()
  while read -r l; do envs+=("$l"); done < <(machine_env "$i")
  exec nsenter -t "$h" -m -n --wd="$PWD" -- env "${envs[@]}" "$@"
}

# Kills every process whose mount namespace is the one held by `pid`
# (processes started in that machine), except the holder itself.
kill_ns_members() {
  local pid=$1 ns p
  ns=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null) || return 0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$pid" ] && continue
    [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && kill -9 "$p" 2>/dev/null || true
  done
}

kill_pidfile() { local f=$1; [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; }

down() {
  [ -d "$D" ] || return 0
  local n i h
  n=$(cat "$D/bed" 2>/dev/null || echo 0)
  rm -f "$D/bed"
  for i in $(seq 8); do
    h=$(holder "m$i")
    [ -n "$h" ] || continue
    if kill -0 "$h" 2>/dev/null; then
      kill_pidfile "$D/m$i/glusterfs.pid"
      in_ns "$h" umount -l "$(mountpoint_of "$i")" 2>/dev/null || true
      kill_ns_members "$h"
      kill -9 "$h" 2>/dev/null || true
    fi
    rm -f "$D/m$i/holder.pid"
  done
  h=$(holder server)
  if [ -n "$h" ]; then
    local f
    for f in "$D"/server/run/gluster/vols/*/*.pid "$D"/server/lib/vols/*/run/*.pid; do kill_pidfile "$f"; done
    kill_pidfile "$D/server/glusterd.pid"
    kill -0 "$h" 2>/dev/null && kill_ns_members "$h"
    kill -9 "$h" 2>/dev/null || true
    rm -f "$D/server/holder.pid"
  fi
  if [ -f "$D/watchdog.pid" ] && [ "$(cat "$D/watchdog.pid")" != "$PPID" ]; then
    kill "$(cat "$D/watchdog.pid")" 2>/dev/null || true
  fi
  rm -f "$D/watchdog.pid"
  : "$n"
}

case $cmd in
  up) up "$@" ;;
  exec) [ $# -ge 2 ] || die "exec DIR I CMD..."; machine_exec "$@" ;;
  env) machine_env "$1" ;;
  cut) in_ns "$(holder "m$1")" ip link set eth0 down ;;
  heal) in_ns "$(holder "m$1")" ip link set eth0 up ;;
  kill-client) kill_pidfile "$D/m$1/glusterfs.pid" ;;
  remount)
    in_ns "$(holder "m$1")" umount -l "$(mountpoint_of "$1")" 2>/dev/null || true
    client_mount "$1" ;;
  down) down ;;
  *) die "unknown command $cmd" ;;
esac
