#!/usr/bin/env bash
# Compares inferd with the FastAPI peer on the `simple` model, in one run.
#
#   bench/wrk/compare_simple.sh
#
# Starts bench/peers/fastapi_simple.py and `inferd serve` on loopback ports,
# waits until both answer an infer request with the right values, then runs
# the same wrk load against each in turn (never both at once: they would share
# the cores) and prints a markdown table, the exact commands and the machine.
# Both servers are stopped on exit. Without an inferd binary, only the peer is
# measured and a note says so.
#
# Environment (defaults in brackets):
#   INFERD_BIN         inferd binary [build/inferd]
#   INFERD_ARGS        extra flags for `inferd serve` []
#   MODEL_REPOSITORY   repository both serve from [build/examples/model_repository]
#   PYTHON             interpreter with torch and fastapi [/usr/bin/python3]
#   PEER_PORT, INFERD_PORT  loopback ports [free ports]
#   THREADS, CONNECTIONS, DURATION  wrk load [2, 64, 10s]
#   WARMUP             wrk warm-up run per server, not reported; 0 skips [2s]
#   READY_TIMEOUT      seconds to wait for each server [60]
set -euo pipefail

cd "$(dirname "$0")/../.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
INFERD_ARGS=${INFERD_ARGS:-}
MODEL_REPOSITORY=${MODEL_REPOSITORY:-build/examples/model_repository}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
READY_TIMEOUT=${READY_TIMEOUT:-60}
LUA=bench/wrk/infer_simple.lua
INFER_PATH=/v2/models/simple/infer
# The request infer_simple.lua sends, and the answer both servers must give.
REQUEST='{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},{"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}'

for tool in wrk curl "$PYTHON"; do
  command -v "$tool" >/dev/null || { echo "compare_simple: $tool not found" >&2; exit 1; }
done

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PEER_PORT=${PEER_PORT:-$(free_port)}
INFERD_PORT=${INFERD_PORT:-$(free_port)}
while [[ "$INFERD_PORT" == "$PEER_PORT" ]]; do INFERD_PORT=$(free_port); done

LOG_DIR=$(mktemp -d /tmp/compare_simple.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$LOG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -f "$MODEL_REPOSITORY/simple/1/model.pt" ]]; then
  if [[ "$MODEL_REPOSITORY" == build/examples/model_repository ]]; then
    echo "building the example model repository..." >&2
    "$PYTHON" examples/build_model_repository.py --out build/examples >&2
  else
    echo "compare_simple: $MODEL_REPOSITORY/simple/1/model.pt not found" >&2
    exit 1
  fi
fi

# wait_ready NAME PID PORT: polls the infer route until it answers the right
# values; fails if the process exits or READY_TIMEOUT passes.
wait_ready() {
  local name=$1 pid=$2 port=$3 deadline=$((SECONDS + READY_TIMEOUT)) body
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "compare_simple: $name exited; its log:" >&2
      cat "$LOG_DIR/$name.log" >&2
      return 1
    fi
    if body=$(curl -sf -X POST -H 'Content-Type: application/json' \
        --data "$REQUEST" "http://127.0.0.1:$port$INFER_PATH" 2>/dev/null); then
      if "$PYTHON" -c '
import json, sys
outputs = {o["name"]: o for o in json.loads(sys.argv[1])["outputs"]}
assert outputs["OUTPUT0"]["data"] == list(range(1, 17)), "OUTPUT0"
assert outputs["OUTPUT1"]["data"] == list(range(-1, 15)), "OUTPUT1"
assert outputs["OUTPUT0"]["shape"] == [1, 16], "shape"
' "$body"; then
        return 0
      fi
      echo "compare_simple: $name answered wrong values: $body" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "compare_simple: $name not answering on port $port after ${READY_TIMEOUT}s; its log:" >&2
  cat "$LOG_DIR/$name.log" >&2
  return 1
}

PEER_CMD="$PYTHON bench/peers/fastapi_simple.py --port $PEER_PORT --model $MODEL_REPOSITORY/simple/1/model.pt"
INFERD_CMD="$INFERD_BIN serve --model-repository $MODEL_REPOSITORY --http-port $INFERD_PORT${INFERD_ARGS:+ $INFERD_ARGS}"
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s $LUA"

NAMES=() PORTS=() CMDS=()
$PEER_CMD >"$LOG_DIR/fastapi.log" 2>&1 &
PIDS+=($!)
NAMES+=(fastapi) PORTS+=("$PEER_PORT") CMDS+=("$PEER_CMD")
wait_ready fastapi "$!" "$PEER_PORT"

NOTE=""
if [[ -x "$INFERD_BIN" ]]; then
  $INFERD_CMD >"$LOG_DIR/inferd.log" 2>&1 &
  PIDS+=($!)
  NAMES+=(inferd) PORTS+=("$INFERD_PORT") CMDS+=("$INFERD_CMD")
  wait_ready inferd "$!" "$INFERD_PORT"
else
  NOTE="Note: no inferd binary at $INFERD_BIN (set INFERD_BIN); only the FastAPI peer was measured."
  echo "$NOTE" >&2
fi

declare -A RESULT
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]} url="http://127.0.0.1:${PORTS[$i]}$INFER_PATH"
  if [[ "$WARMUP" != 0 ]]; then
    echo "warming up $name ($WARMUP)..." >&2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$url" >/dev/null
  fi
  echo "measuring $name ($DURATION)..." >&2
  $WRK_CMD "$url" >"$LOG_DIR/wrk_$name.txt"
  RESULT[$name]=$(grep '^WRK_RESULT ' "$LOG_DIR/wrk_$name.txt")
done

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"${RESULT[$1]}"; }

echo
echo "## simple: inferd vs FastAPI peer"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| server | requests/s | p50 (ms) | p99 (ms) | errors | requests |"
echo "|---|---:|---:|---:|---:|---:|"
for name in "${NAMES[@]}"; do
  echo "| $name | $(field "$name" rps) | $(field "$name" p50_ms) | $(field "$name" p99_ms) | $(field "$name" errors) | $(field "$name" requests) |"
done
if [[ -n "${RESULT[inferd]:-}" ]]; then
  echo
  "$PYTHON" -c 'import sys; print(f"inferd serves {float(sys.argv[1]) / float(sys.argv[2]):.1f}x the requests/s of the FastAPI peer.")' \
    "$(field inferd rps)" "$(field fastapi rps)"
fi
[[ -n "$NOTE" ]] && { echo; echo "$NOTE"; }
echo
echo "Errors: connect, read, write and timeout errors plus non-2xx/3xx answers."
echo "Each server runs alone under load (one after the other) on loopback; wrk"
echo "runs on the same machine and shares its cores."
echo
echo "Commands:"
echo
echo '```'
for i in "${!NAMES[@]}"; do
  echo "${CMDS[$i]}"
done
for i in "${!NAMES[@]}"; do
  [[ "$WARMUP" != 0 ]] && echo "wrk -t$THREADS -c$CONNECTIONS -d$WARMUP -s $LUA http://127.0.0.1:${PORTS[$i]}$INFER_PATH  # warm-up, not reported"
  echo "$WRK_CMD http://127.0.0.1:${PORTS[$i]}$INFER_PATH"
done
echo '```'
echo
echo "Machine:"
echo
echo '```'
echo "nproc: $(nproc)"
lscpu | grep 'Model name' || true
echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
echo "kernel: $(uname -sr)"
# shellcheck source=/dev/null
echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "python: $("$PYTHON" -c 'import sys, torch, fastapi, uvicorn; print(sys.version.split()[0], "torch", torch.__version__, "fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__)')"
if [[ -x "$INFERD_BIN" ]]; then
  echo "inferd: $("$INFERD_BIN" --version 2>/dev/null | head -1 || echo unknown)"
fi
echo '```'
echo
echo "Raw wrk output:"
for name in "${NAMES[@]}"; do
  echo
  echo "$name:"
  echo '```'
  grep -v '^WRK_RESULT ' "$LOG_DIR/wrk_$name.txt"
  echo '```'
done
