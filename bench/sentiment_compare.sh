#!/usr/bin/env bash
# Issue 4 benchmark: the sentiment text-classification pipeline (tokenize,
# batch, run, softmax, labels) behind POST /v1/models/sentiment:predict,
# inferd vs the FastAPI peer doing the same pipeline in Python
# (bench/peers/fastapi_sentiment.py, singleton and batched), under the same
# `inferd bench` load, closed loop at CONCURRENCY, one sentence per request:
# WORKLOAD=single sends bench/requests/sentiment.json (23 tokens) every time;
# WORKLOAD=mixed sends the 64 Austen sentences of
# bench/requests/sentiment_mixed.jsonl (4 to 40 words) round-robin, so
# requests of different lengths meet in the batchers (inferd pads them to the
# longest in the batch; so does the batched peer). One server at a time on 127.0.0.1; each answer
# is checked to be a POSITIVE/NEGATIVE prediction before the load.
#
#   bench/sentiment_compare.sh        # prints a markdown table
#
# Environment (defaults in brackets): INFERD_BIN [build/inferd], EXAMPLES
# [build/examples], PYTHON [/usr/bin/python3], WORKLOAD [single], CONCURRENCY [32],
# DURATION [10s], WARMUP [2s], THREADS (libtorch intra-op threads, the same
# for all) [nproc], PEERS [singleton batched; empty: inferd alone],
# BENCH_BIN (the `inferd bench` load generator) [INFERD_BIN]: two inferd
# builds side by side keep one load generator.
set -euo pipefail
cd "$(dirname "$0")/.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
EXAMPLES=${EXAMPLES:-build/examples}
PYTHON=${PYTHON:-/usr/bin/python3}
CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-$(nproc)}
WORKLOAD=${WORKLOAD:-single}
PEERS=${PEERS-singleton batched}
BENCH_BIN=${BENCH_BIN:-$INFERD_BIN}
case "$WORKLOAD" in
  single) BODY=bench/requests/sentiment.json; LOAD=(--body-file "$BODY") ;;
  mixed) BODY=$(mktemp); head -n1 bench/requests/sentiment_mixed.jsonl > "$BODY"
         LOAD=(--body-lines bench/requests/sentiment_mixed.jsonl) ;;
  *) echo "WORKLOAD must be single or mixed" >&2; exit 2 ;;
esac
MODEL_DIR=$EXAMPLES/model_repository/sentiment

repo=$(mktemp -d)
trap 'rm -rf "$repo"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
# A copy, not a link: links leading outside the repository are refused.
cp -r "$MODEL_DIR" "$repo/sentiment"

port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {  # url
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
         --data @"$BODY" "$1/v1/models/sentiment:predict"; then return 0; fi
    sleep 0.2
  done
  echo "server at $1 never answered" >&2; return 1
}

check() {  # url
  curl -sf -X POST -H 'Content-Type: application/json' --data @"$BODY" \
    "$1/v1/models/sentiment:predict" | "$PYTHON" -c '
import json, sys
body = json.load(sys.stdin)
assert body["predictions"][0]["label"] in ("POSITIVE", "NEGATIVE"), body
print(json.dumps(body["predictions"][0]), file=sys.stderr)'
}

measure() {  # name url
  wait_ready "$2"
  check "$2"
  local out
  out=$("$BENCH_BIN" bench --url "$2" --model sentiment --route predict \
        "${LOAD[@]}" --concurrency "$CONCURRENCY" --duration "$DURATION" \
        --warmup "$WARMUP" --json | "$PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))')
  echo "$1 $out" >> "$results"
  if [ "$1" = inferd ]; then  # rows per model execution over the whole run
    curl -sf "$2/v2/models/sentiment/stats" | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)["model_stats"][0]
n, e = s["inference_count"], s["execution_count"]
print(f"inferd: {n} sentences in {e} executions, mean batch {n / max(1, e):.1f}")' >&2
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

results=$(mktemp)
p=$(port)
"$INFERD_BIN" serve --model-repository "$repo" --http-port "$p" --host 127.0.0.1 \
  --intra-op-threads "$THREADS" --log-level warn & pid=$!
measure inferd "http://127.0.0.1:$p"
for mode in $PEERS; do
  p=$(port)
  "$PYTHON" bench/peers/fastapi_sentiment.py --mode "$mode" --port "$p" \
    --model-dir "$MODEL_DIR" --threads "$THREADS" & pid=$!
  measure "fastapi-$mode" "http://127.0.0.1:$p"
done

"$PYTHON" - "$results" "$CONCURRENCY" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    name, raw = line.split(" ", 1)
    report = json.loads(raw)
    level = report["levels"][0] if "levels" in report else report
    rows[name] = level
print("| server | concurrency | req/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|---|")
for name, level in rows.items():
    print(f"| {name} | {sys.argv[2]} | {level['throughput_rps']:.1f} | "
          f"{level['latency_ms']['p50']:.2f} | {level['latency_ms']['p99']:.2f} | "
          f"{level['failed']} |")
peers = [v["throughput_rps"] for k, v in rows.items() if k != "inferd"]
if peers:
    print(f"\ninferd / best peer throughput: {rows['inferd']['throughput_rps'] / max(peers):.2f}x")
PY
