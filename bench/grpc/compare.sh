#!/usr/bin/env bash
# `simple` over KServe v2 gRPC vs HTTP/JSON vs HTTP/binary, in one run.
#
#   flock /tmp/cpu.lock bench/grpc/compare.sh
#
# Starts one `inferd serve` with only `simple` (HTTP and gRPC ports on
# loopback), checks that each protocol answers `simple` right, then for each
# concurrency level runs, one after another (never two at once: they would
# share the cores):
#   HTTP/JSON    inferd bench, bench/requests/simple.json
#   HTTP/binary  inferd bench, the same request with both inputs as binary
#                tensor data (Inference-Header-Content-Length)
#   gRPC         build/bench/grpc/grpc_bench, the same request as
#                raw_input_contents
# All three are closed loops of our own (`c` requests in flight, the next
# sent when one is answered). Prints a markdown table, the commands and the
# machine.
#
# Environment (defaults in brackets):
#   INFERD_BIN    inferd binary [build/inferd]
#   GRPC_BENCH    gRPC load client [build/bench/grpc/grpc_bench]
#   INFERD_ARGS   extra flags for `inferd serve` []
#   LEVELS        concurrency levels [1 8 64]
#   DURATION, WARMUP  per level, seconds [10, 2]
set -euo pipefail

cd "$(dirname "$0")/../.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
GRPC_BENCH=${GRPC_BENCH:-build/bench/grpc/grpc_bench}
INFERD_ARGS=${INFERD_ARGS:-}
LEVELS=${LEVELS:-1 8 64}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
PYTHON=/usr/bin/python3
EXAMPLES=${INFERD_EXAMPLES:-build/examples}

for f in "$INFERD_BIN" "$GRPC_BENCH"; do
  [[ -x $f ]] || { echo "compare: $f not built" >&2; exit 1; }
done

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HTTP_PORT=$(free_port)
GRPC_PORT=$(free_port)
while [[ $GRPC_PORT == "$HTTP_PORT" ]]; do GRPC_PORT=$(free_port); done

WORK=$(mktemp -d /tmp/grpc_compare.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/repo" "$WORK/results"
cp -r "$EXAMPLES/model_repository/simple" "$WORK/repo/"
# shellcheck disable=SC2086
"$INFERD_BIN" serve --model-repository "$WORK/repo" --host 127.0.0.1 --http-port "$HTTP_PORT" \
  --grpc-port "$GRPC_PORT" --data-dir "$WORK/data" --log-level warn --no-access-log \
  $INFERD_ARGS >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$HTTP_PORT/v2/health/ready" >/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done

# The binary request: the JSON request's header, then INPUT0 and INPUT1 raw.
HEADER_LENGTH=$("$PYTHON" - "$WORK/simple.bin" <<'PY'
import json, struct, sys
header = {"inputs": [{"name": n, "datatype": "INT32", "shape": [1, 16],
                      "parameters": {"binary_data_size": 64}} for n in ("INPUT0", "INPUT1")],
          "outputs": [{"name": n, "parameters": {"binary_data": True}} for n in ("OUTPUT0", "OUTPUT1")]}
head = json.dumps(header, separators=(",", ":")).encode()
with open(sys.argv[1], "wb") as f:
    f.write(head + struct.pack("<16i", *range(16)) + struct.pack("<16i", *[1] * 16))
print(len(head))
PY
)

# Each protocol answers right before it is measured.
curl -sf "http://127.0.0.1:$HTTP_PORT/v2/models/simple/infer" -d @bench/requests/simple.json \
  | grep -q '"data":\[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\]' \
  || { echo "compare: HTTP/JSON answer is wrong" >&2; exit 1; }
curl -sf "http://127.0.0.1:$HTTP_PORT/v2/models/simple/infer" --data-binary @"$WORK/simple.bin" \
  -H "Content-Type: application/octet-stream" -H "Inference-Header-Content-Length: $HEADER_LENGTH" \
  -o "$WORK/answer.bin" || { echo "compare: HTTP/binary request failed" >&2; exit 1; }
"$GRPC_BENCH" --target "127.0.0.1:$GRPC_PORT" -c 1 --duration 0.2 --warmup 0 >/dev/null \
  || { echo "compare: gRPC answer is wrong" >&2; exit 1; }

URL="http://127.0.0.1:$HTTP_PORT"
COMMANDS=$WORK/commands.txt
: >"$COMMANDS"
for c in $LEVELS; do
  echo "concurrency $c..." >&2
  cmd="$INFERD_BIN bench --url $URL --model simple --input-file bench/requests/simple.json -c $c -d ${DURATION}s --warmup ${WARMUP}s --json --no-progress"
  echo "$cmd" >>"$COMMANDS"
  $cmd >"$WORK/results/json.c$c.json"
  cmd="$INFERD_BIN bench --url $URL --path /v2/models/simple/infer --body-file $WORK/simple.bin --content-type application/octet-stream -H Inference-Header-Content-Length:$HEADER_LENGTH -c $c -d ${DURATION}s --warmup ${WARMUP}s --json --no-progress"
  echo "$cmd" >>"$COMMANDS"
  $cmd >"$WORK/results/binary.c$c.json"
  cmd="$GRPC_BENCH --target 127.0.0.1:$GRPC_PORT -c $c --duration $DURATION --warmup $WARMUP --json"
  echo "$cmd" >>"$COMMANDS"
  $cmd >"$WORK/results/grpc.c$c.json"
done

"$PYTHON" - "$WORK/results" "$LEVELS" <<'PY'
import json, os, sys
folder, levels = sys.argv[1], sys.argv[2].split()
def level(name, c):
    with open(os.path.join(folder, "%s.c%s.json" % (name, c))) as f:
        text = f.read()
    doc = json.loads(text.splitlines()[0]) if name == "grpc" else json.loads(text)
    if name != "grpc":
        doc = doc["levels"][0]
        errors = doc["failed"]
    else:
        errors = doc["errors"]
    return doc["throughput_rps"], doc["latency_ms"]["p50"], doc["latency_ms"]["p99"], errors
print("| concurrency | protocol | req/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|---|")
for c in levels:
    for name, label in (("json", "HTTP/JSON"), ("binary", "HTTP/binary"), ("grpc", "gRPC")):
        rps, p50, p99, errors = level(name, c)
        print("| %s | %s | %.0f | %.3f | %.3f | %d |" % (c, label, rps, p50, p99, errors))
PY
echo
echo "Commands (ports are free loopback ports of the run):"
sed 's/^/    /' "$COMMANDS"
echo
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%d)"
