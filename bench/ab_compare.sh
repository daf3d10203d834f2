#!/usr/bin/env bash
# Two inferd builds side by side on the same workloads, in alternating
# rounds (A, B, A, B, ...) so that a shared machine's slow minutes fall on
# both: the check that a change did not make serving slower.
#
#   bench/ab_compare.sh OLD_INFERD NEW_INFERD     # prints a markdown table
#
# Each round starts one server (the example repository, --intra-op-threads
# THREADS), drives every workload with the *new* binary's `inferd bench`
# (one load generator for both) for DURATION after WARMUP, and stops it.
# Workloads, at CONCURRENCY:
#   text_classifier  POST /v2/models/text_classifier/infer (dynamic batching)
#   simple           POST /v2/models/simple/infer
#   sentiment        POST /v1/models/sentiment:predict, the 64 mixed-length
#                    sentences of bench/requests/sentiment_mixed.jsonl
# The table gives, per workload, each build's median req/s over the rounds
# (and its min-max), the median p99, and B / A.
#
# Environment (defaults in brackets): EXAMPLES [build/examples], ROUNDS [5],
# CONCURRENCY [32], DURATION [5s], WARMUP [1s], THREADS [nproc],
# PYTHON [/usr/bin/python3].
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -eq 2 ]] || { echo "usage: $0 OLD_INFERD NEW_INFERD" >&2; exit 2; }
A=$1 B=$2
for bin in "$A" "$B"; do
  [[ -x "$bin" ]] || { echo "ab_compare: no inferd binary at $bin" >&2; exit 1; }
done
EXAMPLES=${EXAMPLES:-build/examples}
ROUNDS=${ROUNDS:-5}
CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
THREADS=${THREADS:-$(nproc)}
PYTHON=${PYTHON:-/usr/bin/python3}
REPOSITORY=$EXAMPLES/model_repository

WORK=$(mktemp -d /tmp/inferd-ab.XXXXXX)
PID=""
cleanup() {
  [[ -n "$PID" ]] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# name  model  route  body-option
WORKLOADS=(
  "text_classifier text_classifier infer --input-file=bench/requests/text_classifier.json"
  "simple simple infer --input-file=bench/requests/simple.json"
  "sentiment sentiment predict --body-lines=bench/requests/sentiment_mixed.jsonl"
)

for ((round = 1; round <= ROUNDS; round++)); do
  for side in A B; do
    bin=$A; [[ $side == B ]] && bin=$B
    port=$(free_port)
    # --grpc-port 0 where the build has gRPC: no second listener to compare.
    grpc=(); "$bin" serve --help 2>&1 | grep -q -- --grpc-port && grpc=(--grpc-port 0)
    "$bin" serve --model-repository "$REPOSITORY" --http-port "$port" --host 127.0.0.1 \
      "${grpc[@]}" --intra-op-threads "$THREADS" --log-level warn &
    PID=$!
    for _ in $(seq 300); do
      curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
      sleep 0.1
    done
    for w in "${WORKLOADS[@]}"; do
      read -r name model route body <<<"$w"
      echo "round $round, $side: $name" >&2
      "$B" bench --url "http://127.0.0.1:$port" --model "$model" --route "$route" "$body" \
        --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json \
        >"$WORK/$name.$side.$round.json"
    done
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  done
done

"$PYTHON" - "$WORK" "$ROUNDS" "$A" "$B" "$CONCURRENCY" <<'PY'
import json, os, statistics, sys
work, rounds, a, b, c = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def level(path):
    report = json.load(open(path))
    return report["levels"][0] if "levels" in report else report
print(f"A = {a}, B = {b}; concurrency {c}, {rounds} alternating rounds\n")
print("| workload | A req/s median (min-max) | B req/s median (min-max) | B / A | A p99 ms | B p99 ms | errors A / B |")
print("|---|---:|---:|---:|---:|---:|---|")
for name in ("text_classifier", "simple", "sentiment"):
    row = {}
    for side in ("A", "B"):
        levels = [level(os.path.join(work, f"{name}.{side}.{r}.json")) for r in range(1, rounds + 1)]
        rps = [l["throughput_rps"] for l in levels]
        p99 = statistics.median(l["latency_ms"]["p99"] for l in levels)
        failed = sum(l["failed"] for l in levels)
        row[side] = (statistics.median(rps), min(rps), max(rps), p99, failed)
    ra, rb = row["A"], row["B"]
    print(f"| {name} | {ra[0]:.1f} ({ra[1]:.0f}-{ra[2]:.0f}) | {rb[0]:.1f} ({rb[1]:.0f}-{rb[2]:.0f}) | "
          f"{rb[0] / ra[0]:.2f}x | {ra[3]:.2f} | {rb[3]:.2f} | {ra[4]} / {rb[4]} |")
PY
