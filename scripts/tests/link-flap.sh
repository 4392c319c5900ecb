#!/usr/bin/env bash
# Real-process test: a node survives a network outage of its own link.
#
# Three vigil nodes run in three network namespaces of their own (vigil-lf-PID-1..3), joined by
# a bridge in a fourth namespace (vigil-lf-PID-hub); node nX has 10.213.0.X/24 on its veth
# `eth0`, HTTP on :8000 and gossip on :7946. Nothing outside these namespaces is touched: no host
# interface, route or root-namespace setting. Then n3's link is disturbed, one variant after the
# other, and after each the test asserts that
#   - the n3 process is still running 5 s later,
#   - n3 still answers GET /health on its own address,
#   - within 20 s n1 lists n3 alive again and n3 lists n1 and n2 alive.
#
# Variants (LINK_FLAP_VARIANTS, space-separated, run in this order by default):
#   down        ip link set eth0 down for 2 s, then up (addresses and routes kept)
#   addr-flush  the address disappears for 2 s (ip addr flush, then re-added): sends fail with
#               ENETUNREACH / EADDRNOTAVAIL
#   recreate    the veth pair is deleted and re-created 2 s later (device and address gone)
#
#   sudo scripts/tests/link-flap.sh                 (as root; VIGIL_BIN default .build/debug/vigil)
#   VIGIL_BIN=.build/release/vigil LINK_FLAP_VARIANTS="addr-flush" scripts/tests/link-flap.sh
#   VIGIL_LOG_LEVEL=debug ...                       (the nodes' --log-level, default info)
#   LINK_FLAP_KEEP=1 ...                            (keep the temp dir with configs and logs)
#
# Exits 0 with one PASS line, or 1 with one FAIL line (after the tail of n3's log). Every wait
# is bounded; a trap on EXIT kills the nodes it started (by PID) and deletes its namespaces.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${VIGIL_BIN:-.build/debug/vigil}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
VARIANTS=${LINK_FLAP_VARIANTS:-down addr-flush recreate}
LOG_LEVEL=${VIGIL_LOG_LEVEL:-info}
OUTAGE_S=${LINK_FLAP_OUTAGE_S:-2}
T0=$SECONDS

PREFIX="vigil-lf-$$"
HUB="$PREFIX-hub"
NS=("" "$PREFIX-1" "$PREFIX-2" "$PREFIX-3")
SUBNET=10.213.0
DEV=eth0            # the node side of each veth, inside the node's namespace
HTTP_PORT=8000
GOSSIP_PORT=7946
PIDS=("" "" "" "")
CREATED_NS=()
TMP=""
CURRENT="setup"

step() { echo "link-flap: $*"; }
summary_fail() { echo "link-flap: FAIL ($CURRENT): $* [$((SECONDS - T0)) s]"; }
fail() {
  local msg=$*
  if [ -n "$TMP" ] && [ -f "$TMP/logs/n3.log" ]; then
    echo "--- last 40 lines of n3's log ($TMP/logs/n3.log)" >&2
    tail -n 40 "$TMP/logs/n3.log" >&2 || true
    echo "--- n3 log lines naming a failure or gossip" >&2
    grep -n -i -E 'service failed|finished unexpectedly|gossip|error|fatal|shutting|cancel' "$TMP/logs/n3.log" | tail -n 30 >&2 || true
    echo "---" >&2
  fi
  summary_fail "$msg"
  exit 1
}

[ "$(id -u)" = 0 ] || { echo "link-flap: FAIL (setup): must run as root (network namespaces)"; exit 1; }
[ -x "$BIN" ] || { echo "link-flap: FAIL (setup): no vigil binary at $BIN (build it first, or set VIGIL_BIN)"; exit 1; }
if ! command -v ip >/dev/null 2>&1; then
  step "installing iproute2 (ip is missing)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 >/dev/null || { echo "link-flap: FAIL (setup): cannot install iproute2"; exit 1; }
fi
command -v curl >/dev/null 2>&1 || { echo "link-flap: FAIL (setup): curl is required"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "link-flap: FAIL (setup): python3 is required"; exit 1; }
for v in $VARIANTS; do
  case "$v" in down|addr-flush|recreate) ;; *) echo "link-flap: FAIL (setup): unknown variant $v (down, addr-flush, recreate)"; exit 1 ;; esac
done

# A process we started that is running (not a zombie: the nodes are our children and are only
# reaped by `wait`, so a dead node stays a zombie that still answers kill -0).
alive() {
  local pid=$1 state
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

cleanup() {
  local rc=$? i pid ns
  set +e
  trap - INT TERM
  for i in 1 2 3; do
    pid=${PIDS[$i]}
    [ -n "$pid" ] || continue
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null; fi
  done
  for i in 1 2 3; do
    pid=${PIDS[$i]}
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
    wait "$pid" 2>/dev/null
  done
  for ns in "${CREATED_NS[@]}"; do
    ip netns delete "$ns" 2>/dev/null || echo "link-flap: warning: could not delete namespace $ns" >&2
  done
  if [ -n "$TMP" ]; then
    if [ -n "${LINK_FLAP_KEEP:-}" ]; then echo "link-flap: kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- network: 3 node namespaces + 1 hub namespace with a bridge ---------------------------------
add_ns() {
  ip netns add "$1" || fail "cannot create network namespace $1"
  CREATED_NS+=("$1")
}
# Creates the veth pair of node i: hub side p$i (enslaved to br0), node side $DEV with its address.
plug() {
  local i=$1 ns=${NS[$1]}
  ip -n "$HUB" link add "p$i" type veth peer name "$DEV" netns "$ns" || return 1
  ip -n "$HUB" link set "p$i" master br0 || return 1
  ip -n "$HUB" link set "p$i" up || return 1
  ip -n "$ns" addr add "$SUBNET.$i/24" dev "$DEV" || return 1
  ip -n "$ns" link set "$DEV" up || return 1
}

add_ns "$HUB"
for i in 1 2 3; do add_ns "${NS[$i]}"; done
ip -n "$HUB" link set lo up || fail "hub: lo up"
ip -n "$HUB" link add br0 type bridge || fail "hub: cannot create bridge br0"
ip -n "$HUB" link set br0 up || fail "hub: br0 up"
for i in 1 2 3; do
  ip -n "${NS[$i]}" link set lo up || fail "${NS[$i]}: lo up"
  plug "$i" || fail "cannot plug ${NS[$i]} into the hub"
done
step "namespaces ${NS[1]} ${NS[2]} ${NS[3]} (10.213.0.1-3/24 on $DEV), bridge br0 in $HUB"

# --- config and nodes ---------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-link-flap.XXXXXX")
mkdir -p "$TMP/logs" "$TMP/store"
CONFIG="$TMP/cluster.json"
cat >"$CONFIG" <<JSON
{
  "cluster": "vigil-link-flap-$$",
  "nodes": [
    { "id": "n1", "http": "$SUBNET.1:$HTTP_PORT", "gossip": "$SUBNET.1:$GOSSIP_PORT" },
    { "id": "n2", "http": "$SUBNET.2:$HTTP_PORT", "gossip": "$SUBNET.2:$GOSSIP_PORT" },
    { "id": "n3", "http": "$SUBNET.3:$HTTP_PORT", "gossip": "$SUBNET.3:$GOSSIP_PORT" }
  ],
  "store": { "path": "$TMP/store" },
  "executions": { "heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3, "retention_s": 3600 },
  "gossip": { "interval_s": 0.1, "fanout": 3, "keys": ["$(head -c 32 /dev/urandom | base64)"] },
  "timezone": "UTC"
}
JSON

for i in 1 2 3; do
  ip netns exec "${NS[$i]}" "$BIN" serve --config "$CONFIG" --node "n$i" --log-level "$LOG_LEVEL" \
    </dev/null >>"$TMP/logs/n$i.log" 2>&1 &
  PIDS[$i]=$!
done
step "started n1 n2 n3: pids ${PIDS[1]} ${PIDS[2]} ${PIDS[3]}, binary $BIN, logs $TMP/logs"

# in_ns I CURL-ARGS...: curl run inside node i's namespace, 2 s at most.
in_ns_curl() { local i=$1; shift; ip netns exec "${NS[$i]}" curl -fsS -m 2 "$@"; }
health() { in_ns_curl "$1" "http://$SUBNET.$1:$HTTP_PORT/health" >/dev/null 2>&1; }
members() { in_ns_curl "$1" "http://$SUBNET.$1:$HTTP_PORT/api/v1/cluster/members" 2>/dev/null; }
# not_alive I "IDS": prints the ids of IDS (other than node i) that node i does not list alive,
# with the state it reports; nothing when all are alive. Fails when node i does not answer.
not_alive() {
  local json
  json=$(members "$1") || { echo "no answer from n$1"; return 0; }
  python3 -c '
import json, sys
me, want = sys.argv[1], sys.argv[2].split()
try:
    d = json.loads(sys.argv[3])
except ValueError:
    print("unreadable members JSON"); sys.exit()
states = {m.get("id"): m.get("state") for m in d.get("members") or []}
print(", ".join("%s %s" % (p, states.get(p) or "missing") for p in want if p != me and states.get(p) != "alive"))
' "n$1" "$2" "$json"
}
check_running() {
  local i
  for i in 1 2 3; do alive "${PIDS[$i]}" || fail "n$i (pid ${PIDS[$i]}) exited"; done
}

# Wait (20 s) until every node answers /health and n1 lists all three alive.
CURRENT="start-up"
deadline=$((SECONDS + 20)); ok=0
for _ in $(seq 1 200); do
  check_running
  if health 1 && health 2 && health 3 && [ -z "$(not_alive 1 "n1 n2 n3")" ]; then ok=1; break; fi
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 0.1
done
[ "$ok" = 1 ] || fail "the cluster did not form within 20 s (n1 does not see alive: $(not_alive 1 "n1 n2 n3"))"
step "cluster formed in $((SECONDS - T0)) s: every node answers /health, n1 sees n1 n2 n3 alive"

# --- the outages --------------------------------------------------------------------------------
NS3=${NS[3]}
disturb() {  # disturb VARIANT: take n3's network away for OUTAGE_S seconds, then restore it
  case "$1" in
    down)
      ip -n "$NS3" link set "$DEV" down || return 1
      sleep "$OUTAGE_S"
      ip -n "$NS3" link set "$DEV" up || return 1
      ;;
    addr-flush)
      ip -n "$NS3" addr flush dev "$DEV" || return 1
      sleep "$OUTAGE_S"
      ip -n "$NS3" addr add "$SUBNET.3/24" dev "$DEV" || return 1
      ;;
    recreate)
      ip -n "$HUB" link delete p3 || return 1   # deletes the peer, n3's $DEV, with its address and routes
      sleep "$OUTAGE_S"
      plug 3 || return 1
      ;;
  esac
}

for variant in $VARIANTS; do
  CURRENT=$variant
  check_running
  step "[$variant] disturbing n3's link for $OUTAGE_S s"
  disturb "$variant" || fail "could not apply or undo the $variant outage"
  step "[$variant] link restored; waiting 5 s"
  for _ in $(seq 1 50); do
    alive "${PIDS[3]}" || break
    sleep 0.1
  done
  if ! alive "${PIDS[3]}"; then
    rc=""
    if wait "${PIDS[3]}" 2>/dev/null; then rc=0; else rc=$?; fi
    PIDS[3]=""
    fail "n3 died after the $variant outage (exit code $rc)"
  fi
  health 3 || fail "n3 (still running) does not answer GET /health on $SUBNET.3:$HTTP_PORT"
  step "[$variant] n3 still running and answering /health"

  deadline=$((SECONDS + 20)); ok=0; from1=""; from3=""
  for _ in $(seq 1 200); do
    alive "${PIDS[3]}" || fail "n3 died while the cluster was reconverging after the $variant outage"
    from1=$(not_alive 1 "n3"); from3=$(not_alive 3 "n1 n2")
    if [ -z "$from1" ] && [ -z "$from3" ]; then ok=1; break; fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.1
  done
  [ "$ok" = 1 ] || fail "no reconvergence within 20 s after the $variant outage (n1 does not see alive: ${from1:--}; n3 does not see alive: ${from3:--})"
  step "[$variant] n1 sees n3 alive again and n3 sees n1 n2 alive"
  check_running
done

CURRENT="all"
echo "link-flap: PASS: n3 survived the outages ($VARIANTS) and rejoined [$((SECONDS - T0)) s]"
