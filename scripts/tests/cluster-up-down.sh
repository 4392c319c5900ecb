#!/usr/bin/env bash
# End-to-end test of scripts/cluster: a temporary 3-node loopback cluster on free ports.
# `up` must start the three nodes and return only once they see each other alive and agree on
# a leader; `down` must stop exactly those processes and leave no PID file; a stale PID file
# (process gone, or PID now used by another process) must be removed without killing anything.
#
#   VIGIL_BIN=.build/debug/vigil scripts/tests/cluster-up-down.sh     (default VIGIL_BIN: that)
#
# Exits non-zero with a message on the first failure; every wait is bounded.
set -euo pipefail

# Become a child subreaper (Linux) so the nodes, orphaned when `scripts/cluster up` exits, are
# reaped here once they stop: where PID 1 does not reap orphans their zombies would otherwise
# keep answering `kill -0`.
if [ -z "${VIGIL_TEST_SUBREAPER:-}" ] && [ "$(uname -s)" = Linux ]; then
  export VIGIL_TEST_SUBREAPER=1
  exec python3 -c '
import ctypes, os, sys
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
os.execvp("bash", ["bash"] + sys.argv[1:])
' "$0" "$@"
fi

cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${VIGIL_BIN:-.build/debug/vigil}
T0=$SECONDS

fail() { echo "cluster-up-down: FAIL: $*" >&2; exit 1; }
step() { echo "cluster-up-down: $*"; }

[ -x "$BIN" ] || fail "no vigil binary at $BIN (build it: swift build --product vigil, or set VIGIL_BIN)"
command -v curl >/dev/null || fail "curl is required"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-cluster-test.XXXXXX")
DATA_DIR="$TMP/data"
CONFIG_FILE="$TMP/cluster.json"
SPARE_PID=""

# Cleanup: stop whatever is still recorded (by PID, through the script), then remove the dir.
cleanup() {
  local rc=$?
  set +e
  if [ -n "$SPARE_PID" ]; then kill "$SPARE_PID" 2>/dev/null; wait "$SPARE_PID" 2>/dev/null; fi
  if compgen -G "$DATA_DIR/run/*.pid" >/dev/null; then
    echo "cluster-up-down: cleaning up nodes still recorded in $DATA_DIR/run" >&2
    cluster down >&2
    for f in "$DATA_DIR"/run/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
        *" serve "*"--config $CONFIG_FILE "*) kill -KILL "$pid" 2>/dev/null ;;
      esac
    done
  fi
  if [ "$rc" != 0 ] && [ -d "$DATA_DIR/logs" ]; then
    for f in "$DATA_DIR"/logs/*.log; do
      [ -e "$f" ] || continue
      echo "--- last lines of $(basename "$f")" >&2
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cluster() {  # runs scripts/cluster against the temporary cluster, at most 120 s
  env -u VIGIL_NODES VIGIL_CONFIG="$CONFIG_FILE" VIGIL_DATA="$DATA_DIR" VIGIL_BIN="$BIN" VIGIL_UP_TIMEOUT=60 \
    timeout 120 "$ROOT/scripts/cluster" "$@"
}

# Free loopback ports: TCP for HTTP, UDP for gossip, all held open until all are chosen.
read -r H1 H2 H3 G1 G2 G3 < <(python3 -c '
import socket
held = []
def free(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    held.append(s)
    return s.getsockname()[1]
print(*[free(socket.SOCK_STREAM) for _ in range(3)], *[free(socket.SOCK_DGRAM) for _ in range(3)])
')
[ -n "${G3:-}" ] || fail "could not pick free ports"

cat >"$CONFIG_FILE" <<JSON
{
  "cluster": "vigil-test-$$",
  "nodes": [
    { "id": "n1", "http": "127.0.0.1:$H1", "gossip": "127.0.0.1:$G1" },
    { "id": "n2", "http": "127.0.0.1:$H2", "gossip": "127.0.0.1:$G2" },
    { "id": "n3", "http": "127.0.0.1:$H3", "gossip": "127.0.0.1:$G3" }
  ],
  "store": { "path": "$TMP/unused-store" },
  "executions": { "heartbeat_timeout_s": 5, "check_interval_s": 1, "max_strikes": 3, "retention_s": 3600 },
  "gossip": { "interval_s": 0.1, "fanout": 3 },
  "timezone": "UTC"
}
JSON
step "3 nodes on 127.0.0.1, http $H1 $H2 $H3, gossip $G1 $G2 $G3, data $DATA_DIR, binary $BIN"

# --- up ---------------------------------------------------------------------------------------
up_start=$SECONDS
set +e
cluster up
rc=$?
set -e
[ "$rc" = 0 ] || fail "scripts/cluster up exited with $rc (expected 0)"
step "up returned 0 after $((SECONDS - up_start)) s"

PIDS=()
for id in n1 n2 n3; do
  f="$DATA_DIR/run/$id.pid"
  [ -s "$f" ] || fail "no PID file $f after up"
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || fail "$id (pid $pid) is not running after up"
  case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || ps -ww -o args= -p "$pid")" in
    *" serve "*"--node $id "*) ;;
    *) fail "pid $pid of $id is not a vigil serve --node $id process" ;;
  esac
  [ -s "$DATA_DIR/logs/$id.log" ] || fail "no log $DATA_DIR/logs/$id.log"
  [ -d "$DATA_DIR/store/$id" ] || fail "no store directory $DATA_DIR/store/$id for $id"
  PIDS+=("$pid")
done
[ "$(ls "$DATA_DIR/run" | grep -c '\.pid$')" = 3 ] || fail "expected exactly 3 PID files in $DATA_DIR/run: $(ls "$DATA_DIR/run")"
[ ! -e "$TMP/unused-store" ] || fail "a node used the config's store.path instead of VIGIL_DATA/store"
step "3 nodes running: pids ${PIDS[*]}"

# Every node sees the two others alive and all name the same leader (up waited for this; check
# it independently, as each node reports it).
views=""
for port in $H1 $H2 $H3; do
  v=$(curl -fsS -m 2 "http://127.0.0.1:$port/api/v1/cluster/members") || fail "GET /api/v1/cluster/members on port $port failed"
  views+="$v"$'\n'
done
python3 -c '
import json, sys
views = [json.loads(line) for line in sys.stdin if line.strip()]
ids = {"n1", "n2", "n3"}
leaders = set()
for i, v in enumerate(views, 1):
    states = {m["id"]: m["state"] for m in v["members"]}
    print("cluster-up-down:   n%d sees %s, leader %s (term %s, quorum %s)" % (i, ", ".join("%s %s" % kv for kv in sorted(states.items())), v["leader"], v["term"], v["quorum"]))
    missing = [n for n in sorted(ids) if states.get(n) != "alive"]
    if missing:
        sys.exit("cluster-up-down: FAIL: n%d does not see %s alive" % (i, ", ".join(missing)))
    leaders.add(v["leader"])
if None in leaders or len(leaders) != 1:
    sys.exit("cluster-up-down: FAIL: nodes do not agree on one leader: %s" % sorted(map(str, leaders)))
' <<<"$views" || exit 1

status=$(cluster status) || fail "scripts/cluster status failed"
echo "$status" | sed 's/^/cluster-up-down:   status: /'
[ "$(echo "$status" | grep -c ' healthy')" = 3 ] || fail "status does not show 3 healthy nodes"

# --- down -------------------------------------------------------------------------------------
cluster down || fail "scripts/cluster down exited with $?"
for pid in "${PIDS[@]}"; do
  gone=0
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then gone=1; break; fi
    sleep 0.1
  done
  [ "$gone" = 1 ] || fail "pid $pid still exists 10 s after down ($(ps -o stat=,args= -p "$pid" 2>/dev/null))"
done
leftover=$(ls "$DATA_DIR/run" 2>/dev/null | grep '\.pid' || true)
[ -z "$leftover" ] || fail "PID files left after down: $leftover"
step "down stopped pids ${PIDS[*]}; no PID file left"

# --- stale PID files --------------------------------------------------------------------------
# n1: a process that is gone; n2: a live process that is not a vigil node (PID reuse). down must
# remove both files and must not kill the live process.
sh -c 'exit 0' & gone_pid=$!; wait "$gone_pid" || true
sleep 30 & SPARE_PID=$!
mkdir -p "$DATA_DIR/run"
echo "$gone_pid" >"$DATA_DIR/run/n1.pid"
echo "$SPARE_PID" >"$DATA_DIR/run/n2.pid"
cluster down || fail "scripts/cluster down with stale PID files exited with $?"
kill -0 "$SPARE_PID" 2>/dev/null || fail "down killed pid $SPARE_PID, which it did not start"
leftover=$(ls "$DATA_DIR/run" 2>/dev/null | grep '\.pid' || true)
[ -z "$leftover" ] || fail "stale PID files left after down: $leftover"
kill "$SPARE_PID"; wait "$SPARE_PID" 2>/dev/null || true; SPARE_PID=""
step "down removed stale PID files without killing anything else"

step "PASS in $((SECONDS - T0)) s"
