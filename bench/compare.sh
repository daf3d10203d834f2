#!/usr/bin/env bash
# Dynamic batching benchmark: on text_classifier, inferd vs the Python
# peers vs the in-process ceiling, plus `simple` inferd vs its FastAPI peer.
#
#   bench/compare.sh            # measures, then rewrites the section
#                               # "## Batching: text_classifier vs peers"
#                               # of docs/benchmarks.md (other sections stay)
#   DOC= bench/compare.sh       # prints the section instead of writing it
#
# One server at a time on 127.0.0.1 (they would share the cores otherwise),
# each checked against the PyTorch goldens before and after its load:
#
#   inferd (batching)     build/inferd serve on the example repository, where
#                         text_classifier has dynamic_batching (2 ms delay)
#   inferd (no batching)  the same on a temp copy of the repository with the
#                         dynamic_batching block removed from text_classifier
#   fastapi singleton     bench/peers/fastapi_text_classifier.py --mode singleton
#   fastapi batched       bench/peers/fastapi_text_classifier.py --mode batched
#                         (asyncio batch collector, --max-batch 32, 5 ms wait)
#
# Each gets the same load, `inferd bench` at each concurrency with the body
# bench/requests/text_classifier.json (batch 1, 32 tokens), one invocation per
# level so that inferd's statistics give the mean batch size of each level.
# Then the ceiling (bench/ceiling, forward() in a loop in one process) at batch
# 1 and 32, and `simple`: inferd vs bench/peers/fastapi_simple.py at the
# highest concurrency. Without `inferd bench` in the binary, wrk drives the
# same bodies (noted in the output). Last, overload: inferd with batching and
# a bounded queue (default_queue_policy max_queue_size = the last concurrency)
# under twice the last concurrency, where the excess must get 503 at once and
# accepted requests a latency bounded by the queue.
#
# Environment (defaults in brackets):
#   INFERD_BIN        inferd binary [build/inferd]
#   CEILING_BIN       ceiling program [build/bench/ceiling/inferd_torchscript_ceiling]
#   EXAMPLES          output of examples/build_model_repository.py [build/examples]
#   PYTHON            interpreter with torch, fastapi, uvicorn [/usr/bin/python3]
#   CONCURRENCY       levels [1,8,32]; the last one is used for the ratios
#   DURATION, WARMUP  per level [10s, 2s]
#   ROUNDS            repeat the whole sequence this many times and report,
#                     per server and level, the round with the median
#                     throughput (a shared machine's load comes and goes) [1]
#   SEQ_LEN           tokens per request [32]; other lengths send the ids of
#                     bench/requests/text_classifier.json cut or repeated
#   THREADS           libtorch intra-op threads, the same for all: inferd
#                     --intra-op-threads, the peers' --threads, the ceiling's
#                     --threads [nproc]
#   CEILING_BATCHES   batch sizes for the ceiling [1 32]
#   PEERS             the FastAPI text_classifier peers to run [singleton
#                     batched]; empty: none, and no FastAPI `simple` either
#                     (two inferd binaries side by side: run once per
#                     INFERD_BIN with PEERS= CEILING_BIN= DOC=)
#   BENCH_BIN         the binary whose `inferd bench` drives the load
#                     [INFERD_BIN] (keep one load generator for two builds)
#   SIMPLE            also compare `simple` [1]
#   OVERLOAD          also run the overload level [1]
#   MANY_CONNECTIONS  `simple` on inferd also at this many concurrent
#                     keep-alive connections, against the last level [1000];
#                     empty: skipped
#   DOC               markdown file to update [docs/benchmarks.md]; empty: stdout
#   NOTE              a paragraph to add under the section's introduction []
#   READY_TIMEOUT     seconds to wait for each server [90]
set -euo pipefail

cd "$(dirname "$0")/.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
CEILING_BIN=${CEILING_BIN:-build/bench/ceiling/inferd_torchscript_ceiling}
EXAMPLES=${EXAMPLES:-build/examples}
PYTHON=${PYTHON:-/usr/bin/python3}
CONCURRENCY=${CONCURRENCY:-1,8,32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
SEQ_LEN=${SEQ_LEN:-32}
THREADS=${THREADS:-$(nproc)}
CEILING_BATCHES=${CEILING_BATCHES:-1 32}
SIMPLE=${SIMPLE:-1}
PEERS=${PEERS-singleton batched}
BENCH_BIN=${BENCH_BIN:-$INFERD_BIN}
OVERLOAD=${OVERLOAD:-1}
MANY_CONNECTIONS=${MANY_CONNECTIONS-1000}
DOC=${DOC-docs/benchmarks.md}
NOTE=${NOTE:-}
READY_TIMEOUT=${READY_TIMEOUT:-90}
ROUNDS=${ROUNDS:-1}
ROUND=1

MODEL=text_classifier
REPOSITORY=$EXAMPLES/model_repository
GOLDENS=$EXAMPLES/goldens
MODEL_FILE=$REPOSITORY/$MODEL/1/model.pt
REQUEST=bench/requests/text_classifier.json
SIMPLE_REQUEST=bench/requests/simple.json
SECTION="## Batching: text_classifier vs peers"

for tool in curl "$PYTHON"; do
  command -v "$tool" >/dev/null || { echo "compare: $tool not found" >&2; exit 1; }
done
[[ -x "$INFERD_BIN" ]] || { echo "compare: no inferd binary at $INFERD_BIN (set INFERD_BIN)" >&2; exit 1; }

if [[ ! -f "$MODEL_FILE" ]]; then
  echo "compare: building the example model repository into $EXAMPLES..." >&2
  "$PYTHON" examples/build_model_repository.py --out "$EXAMPLES" >&2
fi

WORK=$(mktemp -d /tmp/inferd-compare.XXXXXX)
SERVER_PID=""
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The load generator: `inferd bench`, or wrk with the same body when the
# binary has no bench subcommand yet.
if "$BENCH_BIN" bench --help 2>&1 | grep -q -- --concurrency; then
  LOADGEN=inferd
else
  command -v wrk >/dev/null || { echo "compare: neither 'inferd bench' nor wrk available" >&2; exit 1; }
  LOADGEN=wrk
  echo "compare: $BENCH_BIN has no bench subcommand; using wrk" >&2
  cat >"$WORK/body.lua" <<'EOF'
-- POSTs the file $BODY_FILE; done() prints one JSON line like inferd bench's levels.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
function done(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "failed": %d, "non_2xx": %d, "elapsed_s": %.3f, "throughput_rps": %.3f, "latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}}\n',
    summary.requests, failed, e.status, summary.duration / 1e6,
    (summary.requests - failed) / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
EOF
fi

# cpu_ticks: user + system clock ticks the server process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }

seconds() { "$PYTHON" -c 'import sys; t = sys.argv[1]; print(float(t[:-1]) if t.endswith("s") else float(t))' "$1"; }

# load NAME PORT MODEL BODY CONCURRENCY: one level; appends the exact command
# to commands.txt and writes results/NAME.cC.json.
COMMANDS=$WORK/commands.txt
record() { if ((ROUND == 1)); then echo "$*" >>"$COMMANDS"; fi; }
mkdir -p "$WORK/results" "$WORK/logs"
load() {
  local name=$1 port=$2 model=$3 body=$4 c=$5 out="$WORK/results/$1.c$5.r$ROUND.json"
  local url="http://127.0.0.1:$port" cmd t0 t1
  if [[ $LOADGEN == inferd ]]; then
    cmd="$BENCH_BIN bench --url $url --model $model --concurrency $c --duration $DURATION --warmup $WARMUP --json --input-file $body"
    record "$cmd"
    echo "  $name: concurrency $c..." >&2
    t0=$(cpu_ticks)
    $cmd >"$out" 2>"$WORK/logs/bench.$name.c$c.err" || {
      echo "compare: inferd bench failed against $name:" >&2; cat "$WORK/logs/bench.$name.c$c.err" >&2; return 1; }
    t1=$(cpu_ticks)
  else
    local threads=$((c < 2 ? c : 2)) path="$url/v2/models/$model/infer"
    cmd="BODY_FILE=$body wrk -t$threads -c$c -d$DURATION --latency -s bench.lua $path"
    record "$cmd  # after a $WARMUP warm-up run"
    echo "  $name: concurrency $c (wrk)..." >&2
    BODY_FILE=$body wrk -t"$threads" -c"$c" -d"$WARMUP" -s "$WORK/body.lua" "$path" >/dev/null
    t0=$(cpu_ticks)
    BODY_FILE=$body wrk -t"$threads" -c"$c" -d"$DURATION" --latency -s "$WORK/body.lua" "$path" \
      >"$WORK/logs/wrk.$name.c$c.txt"
    t1=$(cpu_ticks)
    "$PYTHON" - "$WORK/logs/wrk.$name.c$c.txt" "$c" >"$out" <<'EOF'
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("WRK_JSON ")][-1]
level = json.loads(line[len("WRK_JSON "):])
level["concurrency"] = int(sys.argv[2])
print(json.dumps({"loadgen": "wrk", "levels": [level]}))
EOF
  fi
  echo "$t0 $t1 $(getconf CLK_TCK)" >"$WORK/results/$name.c$c.r$ROUND.cpu"
}

# stats PORT MODEL: inference and execution counts from inferd's statistics
# ("- -" when the route does not answer).
stats() {
  curl -sf "http://127.0.0.1:$1/v2/models/$2/stats" 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    s = json.load(sys.stdin)["model_stats"][0]
    print(s["inference_count"], s["execution_count"])
except Exception:
    print("- -")' || echo "- -"
}

# serve NAME MODEL PORT COMMAND...: starts a server, waits until it
# answers the goldens of MODEL on PORT (finish checks them again after the
# load and stops it).
serve() {
  local name=$1 model=$2 port=$3; shift 3
  record "$*"
  echo "$name: $*" >&2
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$PYTHON" bench/peers/check_goldens.py --quiet --url "http://127.0.0.1:$port" \
      --model "$model" --goldens "$GOLDENS" 2>"$WORK/logs/$name.check"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "compare: $name not answering the $model goldens on port $port:" >&2
      cat "$WORK/logs/$name.check" "$WORK/logs/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
}

finish() {
  local name=$1 model=$2 port=$3
  "$PYTHON" bench/peers/check_goldens.py --quiet --url "http://127.0.0.1:$port" \
      --model "$model" --goldens "$GOLDENS" || { echo "compare: $name answers wrong after the load" >&2; return 1; }
  stop_server
}

run_levels() {
  local name=$1 port=$2 model=$3 body=$4 levels=$5 c before after
  IFS=, read -ra cs <<<"$levels"
  for c in "${cs[@]}"; do
    before=$(stats "$port" "$model")
    load "$name" "$port" "$model" "$body" "$c"
    after=$(stats "$port" "$model")
    echo "$before $after" >"$WORK/results/$name.c$c.r$ROUND.stats"
  done
}

# The request body at SEQ_LEN tokens.
if [[ "$SEQ_LEN" != 32 ]]; then
  "$PYTHON" - "$REQUEST" "$SEQ_LEN" >"$WORK/text_classifier.$SEQ_LEN.json" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
for tensor in body["inputs"]:
    data = tensor["data"]
    tensor["data"] = [data[i % len(data)] for i in range(n)]
    tensor["shape"] = [1, n]
print(json.dumps(body, separators=(",", ":")))
EOF
  REQUEST=$WORK/text_classifier.$SEQ_LEN.json
fi

# The repository with batching off: text_classifier without dynamic_batching.
NOBATCH=$WORK/repository_no_batching
cp -r "$REPOSITORY" "$NOBATCH"
"$PYTHON" - "$NOBATCH/$MODEL/config.pbtxt" <<'EOF'
import re, sys
path = sys.argv[1]
text = open(path).read()
stripped = re.sub(r"^dynamic_batching\s*\{[^}]*\}\n?", "", text, flags=re.M)
assert stripped != text, "no dynamic_batching block in " + path
open(path, "w").write(stripped)
EOF

# The repository with a bounded queue for the overload level.
OVERLOAD_C=$((${CONCURRENCY##*,} * 2))
BOUNDED=$WORK/repository_bounded_queue
cp -r "$REPOSITORY" "$BOUNDED"
"$PYTHON" - "$BOUNDED/$MODEL/config.pbtxt" "${CONCURRENCY##*,}" <<'EOF'
import re, sys
path, size = sys.argv[1:3]
text = open(path).read()
bounded = re.sub(r"^(dynamic_batching\s*\{[^}]*)\}",
                 r"\1  default_queue_policy { max_queue_size: %s }\n}" % size,
                 text, count=1, flags=re.M)
assert bounded != text, "no dynamic_batching block in " + path
open(path, "w").write(bounded)
EOF

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LAST_C=${CONCURRENCY##*,}

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
((ROUNDS == 1)) || echo "round $ROUND of $ROUNDS" >&2
port=$(free_port)
serve inferd_batching "$MODEL" "$port" "$INFERD_BIN" serve --model-repository "$REPOSITORY" \
  --http-port "$port" --intra-op-threads "$THREADS"
run_levels inferd_batching "$port" "$MODEL" "$REQUEST" "$CONCURRENCY"
finish inferd_batching "$MODEL" "$port"

port=$(free_port)
serve inferd_no_batching "$MODEL" "$port" "$INFERD_BIN" serve --model-repository "$NOBATCH" \
  --http-port "$port" --intra-op-threads "$THREADS"
run_levels inferd_no_batching "$port" "$MODEL" "$REQUEST" "$CONCURRENCY"
finish inferd_no_batching "$MODEL" "$port"

for mode in $PEERS; do
  port=$(free_port)
  serve "fastapi_$mode" "$MODEL" "$port" "$PYTHON" bench/peers/fastapi_text_classifier.py \
    --mode "$mode" --port "$port" --model "$MODEL_FILE" --threads "$THREADS" \
    --max-batch 32 --max-wait-ms 5
  run_levels "fastapi_$mode" "$port" "$MODEL" "$REQUEST" "$CONCURRENCY"
  finish "fastapi_$mode" "$MODEL" "$port"
done

if [[ -x "$CEILING_BIN" ]]; then
  duration_s=$(seconds "$DURATION") warmup_s=$(seconds "$WARMUP")
  for batch in $CEILING_BATCHES; do
    cmd="$CEILING_BIN --model $MODEL_FILE --batch $batch --seq-len $SEQ_LEN --threads $THREADS --duration $duration_s --warmup $warmup_s --json"
    record "$cmd"
    echo "ceiling: batch $batch..." >&2
    $cmd >"$WORK/results/ceiling.b$batch.r$ROUND.json"
  done
else
  echo "compare: no ceiling program at $CEILING_BIN (build target inferd_torchscript_ceiling); skipped" >&2
fi

if [[ "$SIMPLE" == 1 ]]; then
  port=$(free_port)
  serve simple_inferd simple "$port" "$INFERD_BIN" serve --model-repository "$REPOSITORY" \
  --http-port "$port" --intra-op-threads "$THREADS"
  run_levels simple_inferd "$port" simple "$SIMPLE_REQUEST" "$LAST_C${MANY_CONNECTIONS:+,$MANY_CONNECTIONS}"
  finish simple_inferd simple "$port"
  if [[ -n "$PEERS" ]]; then
    port=$(free_port)
    serve simple_fastapi simple "$port" "$PYTHON" bench/peers/fastapi_simple.py --port "$port" \
      --model "$REPOSITORY/simple/1/model.pt"
    run_levels simple_fastapi "$port" simple "$SIMPLE_REQUEST" "$LAST_C"
    finish simple_fastapi simple "$port"
  fi
fi

if [[ "$OVERLOAD" == 1 ]]; then
  port=$(free_port)
  serve inferd_overload "$MODEL" "$port" "$INFERD_BIN" serve --model-repository "$BOUNDED" \
    --http-port "$port" --intra-op-threads "$THREADS"
  run_levels inferd_overload "$port" "$MODEL" "$REQUEST" "$OVERLOAD_C"
  finish inferd_overload "$MODEL" "$port"
fi
done

END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# Machine description.
{
  echo "nproc: $(nproc)"
  lscpu | grep 'Model name' | sed 's/  */ /g' || true
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "kernel: $(uname -sr)"
  # shellcheck source=/dev/null
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "load average (1/5/15 min): $START_LOAD at start, $END_LOAD at end"
  echo "python: $("$PYTHON" -c 'import sys, torch, fastapi, uvicorn; print(sys.version.split()[0], "torch", torch.__version__, "fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__)')"
  echo "inferd: $("$INFERD_BIN" --version 2>/dev/null | head -1 || echo unknown) ($(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ', src modified'))"
  echo "load generator: $([[ $LOADGEN == inferd ]] && echo "inferd bench" || wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), on the same machine"
} >"$WORK/machine.txt"

"$PYTHON" - "$WORK" "$SECTION" "$START_DATE" "$CONCURRENCY" "$SEQ_LEN" "$THREADS" \
    "$CEILING_BATCHES" "$LOADGEN" "$ROUNDS" "$NOTE" "$OVERLOAD_C" "$MANY_CONNECTIONS" >"$WORK/section.md" <<'EOF'
import glob, json, os, sys

work, section, date, levels, seq_len, threads, ceiling_batches, loadgen, rounds, note, overload_c, many = sys.argv[1:13]
many = int(many) if many else None
overload_c = int(overload_c)
rounds = int(rounds)
levels = [int(c) for c in levels.split(",")]
last = levels[-1]
res = os.path.join(work, "results")


def round_level(name, c, r):
    path = os.path.join(res, f"{name}.c{c}.r{r}.json")
    if not os.path.exists(path):
        return None
    doc = json.load(open(path))
    for lv in doc.get("levels", []):
        if lv.get("concurrency") == c:
            return lv
    return None


def median_round(values):
    """The round whose value is the (lower) median; values: {round: v}."""
    if not values:
        return None
    ordered = sorted(values, key=lambda r: (values[r], r))
    return ordered[(len(ordered) - 1) // 2]


def chosen_round(name, c):
    return median_round({r: lv.get("throughput_rps", 0)
                         for r in range(1, rounds + 1)
                         if (lv := round_level(name, c, r)) is not None})


def all_rounds(name, c):
    return [round_level(name, c, r) for r in range(1, rounds + 1)]


def level(name, c):
    r = chosen_round(name, c)
    return None if r is None else round_level(name, c, r)


def batch_mean(name, c):
    path = os.path.join(res, f"{name}.c{c}.r{chosen_round(name, c)}.stats")
    if not os.path.exists(path):
        return None
    b_inf, b_exe, a_inf, a_exe = open(path).read().split()
    if "-" in (b_inf, b_exe, a_inf, a_exe) or int(a_exe) == int(b_exe):
        return None
    return (int(a_inf) - int(b_inf)) / (int(a_exe) - int(b_exe))


def server_cpu(name, c):
    """Server CPU seconds over the level (warm-up included)."""
    path = os.path.join(res, f"{name}.c{c}.r{chosen_round(name, c)}.cpu")
    if not os.path.exists(path):
        return None
    t0, t1, hz = (float(x) for x in open(path).read().split())
    return (t1 - t0) / hz if t1 > t0 else None


def ceiling(batch):
    runs = {}
    for r in range(1, rounds + 1):
        path = os.path.join(res, f"ceiling.b{batch}.r{r}.json")
        if os.path.exists(path):
            runs[r] = json.load(open(path))
    r = median_round({r: doc["inferences_per_s"] for r, doc in runs.items()})
    return None if r is None else runs[r]


def errors(lv):
    parts = [f"{k}:{v}" for k, v in sorted(lv.get("errors_by_status", {}).items())]
    parts += [f"{k}:{v}" for k, v in sorted(lv.get("transport_errors", {}).items())]
    if not parts and lv.get("failed"):
        parts = [f"failed:{lv['failed']}"]
    return " ".join(parts) or "none"


def f1(x):
    return "n/a" if x is None else f"{x:.1f}"


def f2(x):
    return "n/a" if x is None else f"{x:.2f}"


def fx(x):
    return "n/a" if x is None else f"{x:.2f}x"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def verdict(ok):
    return "n/a" if ok is None else ("met" if ok else "**not met**")


servers = [("inferd_batching", "inferd, dynamic batching (2 ms)"),
           ("inferd_no_batching", "inferd, batching off"),
           ("fastapi_singleton", "FastAPI singleton"),
           ("fastapi_batched", "FastAPI asyncio batcher (32, 5 ms)")]
out = [section, ""]
out.append(f"Run {date} by `bench/compare.sh`. Model `text_classifier` "
           f"(2-layer transformer encoder, 128 dim, 4 heads, FF 256), requests "
           f"of batch 1 with {seq_len} tokens ([bench/requests/text_classifier.json]"
           f"(../bench/requests/text_classifier.json)"
           f"{'' if seq_len == '32' else ', ids cut or repeated to that length'}); one server at a time on "
           f"127.0.0.1; the load generator runs on the same machine. inferd, "
           f"the peers and the ceiling all use {threads} libtorch intra-op "
           f"thread{'' if threads == '1' else 's'}.")
if note.strip():
    out += ["", note.strip()]
if rounds > 1:
    out += ["", f"The whole sequence ran {rounds} times; each row is the round "
            "with the median throughput for that server and level (every "
            "round's req/s in the last column and under Raw results)."]
if loadgen == "wrk":
    out += ["", "Load generator: wrk (this inferd binary had no `bench` "
            "subcommand yet); errors are wrk's connect/read/write/timeout "
            "errors plus non-2xx answers."]
out += ["", "```"] + open(os.path.join(work, "machine.txt")).read().rstrip().split("\n") + ["```", ""]

out += ["| server | concurrency | req/s | p50 (ms) | p99 (ms) | errors | mean batch | server CPU ms per request |"
        + (" req/s, every round |" if rounds > 1 else ""),
        "|---|---:|---:|---:|---:|---|---:|---:|" + ("---|" if rounds > 1 else "")]
for name, label in servers:
    for c in levels:
        lv = level(name, c)
        if lv is None:
            out.append(f"| {label} | {c} | n/a | | | not measured | |")
            continue
        lat = lv.get("latency_ms", {})
        mean = batch_mean(name, c) if name.startswith("inferd") else None
        cpu, done = server_cpu(name, c), lv.get("succeeded", lv.get("requests", 0)) + lv.get("warmup_requests", 0)
        per_request = 1000 * cpu / done if cpu and done else None
        out.append(f"| {label} | {c} | {f1(lv.get('throughput_rps'))} | "
                   f"{f2(lat.get('p50'))} | {f2(lat.get('p99'))} | {errors(lv)} | "
                   f"{'' if mean is None else f'{mean:.1f}'} | {f2(per_request)} |"
                   + ((" " + ", ".join(f1(x.get("throughput_rps")) if x else "n/a"
                                       for x in all_rounds(name, c)) + " |")
                      if rounds > 1 else ""))
out += ["", "Mean batch: inferences / executions from inferd's "
        "`/v2/models/text_classifier/stats` over the level (warm-up included). "
        "Server CPU: user + system time of the server process over the level "
        "(/proc/PID/stat, sampled by the kernel at clock ticks: rough) divided by the requests measured"
        + (" plus the warm-up's" if loadgen == "inferd" else "")
        + "; a figure that a busy machine disturbs less than req/s.", ""]

batches = [int(b) for b in ceiling_batches.split()]
if any(ceiling(b) for b in batches):
    out += ["In-process ceiling (`inferd_torchscript_ceiling`: the same "
            "TorchScript file, forward() in a loop, InferenceMode):", "",
            "| batch | inferences/s | batches/s | batch p50 (ms) | batch p99 (ms) | inferences per CPU-second |",
            "|---:|---:|---:|---:|---:|---:|"]
    for b in batches:
        r = ceiling(b)
        if r:
            out.append(f"| {b} | {f1(r['inferences_per_s'])} | {f1(r['batches_per_s'])} | "
                       f"{f2(r['p50_ms'])} | {f2(r['p99_ms'])} | "
                       f"{f1(r.get('inferences_per_cpu_s'))} |")
    out.append("")


def rps(name, c=last):
    lv = level(name, c)
    return lv.get("throughput_rps") if lv else None


def p99(name, c=last):
    lv = level(name, c)
    return lv.get("latency_ms", {}).get("p99") if lv else None


on, off = rps("inferd_batching"), rps("inferd_no_batching")
peers = [(n, rps(n)) for n in ("fastapi_singleton", "fastapi_batched") if rps(n)]
best_peer = max(peers, key=lambda p: p[1])[0] if peers else None
top_batch = max(batches) if batches else None
ceil = ceiling(top_batch) if top_batch else None
ceil_rps = ceil["inferences_per_s"] if ceil else None
r_onoff = ratio(on, off)
r_ceil = ratio(on, ceil_rps)
r_peer = ratio(on, rps(best_peer)) if best_peer else None
p99_on, p99_peer = p99("inferd_batching"), (p99(best_peer) if best_peer else None)
p99_on, p99_peer = p99_on or None, p99_peer or None  # 0: nothing succeeded

out += [f"Ratios at concurrency {last} (the dynamic batching targets):", "",
        "| comparison | figures | ratio | target | |",
        "|---|---|---:|---|---|"]
out.append(f"| batching on / off | {f1(on)} / {f1(off)} req/s | {fx(r_onoff)} | >= 4x | "
           f"{verdict(None if r_onoff is None else r_onoff >= 4)} |")
out.append(f"| inferd / ceiling at batch {top_batch} | {f1(on)} / {f1(ceil_rps)} inferences/s | "
           f"{'n/a' if r_ceil is None else f'{100 * r_ceil:.0f}%'} | >= 90% | "
           f"{verdict(None if r_ceil is None else r_ceil >= 0.9)} |")
low_batch = min(batches) if batches else None
low_ceil = ceiling(low_batch) if low_batch is not None and low_batch != top_batch else None
if low_ceil:
    r_low = ratio(off, low_ceil["inferences_per_s"])
    out.append(f"| inferd batching off / ceiling at batch {low_batch} | {f1(off)} / "
               f"{f1(low_ceil['inferences_per_s'])} inferences/s | "
               f"{'n/a' if r_low is None else f'{100 * r_low:.0f}%'} | (context) | |")
    r_gain = ratio(ceil_rps, low_ceil["inferences_per_s"])
    out.append(f"| ceiling batch {top_batch} / batch {low_batch} (what batching can gain "
               f"on this model and machine) | {f1(ceil_rps)} / {f1(low_ceil['inferences_per_s'])} "
               f"inferences/s | {fx(r_gain)} | (context) | |")
out.append(f"| inferd / best peer ({best_peer or 'none answered'}) throughput | {f1(on)} / {f1(rps(best_peer) if best_peer else None)} req/s | "
           f"{fx(r_peer)} | >= 3x | {verdict(None if r_peer is None else r_peer >= 3)} |")
out.append(f"| inferd / best peer p99 | {f2(p99_on)} / {f2(p99_peer)} ms | "
           f"{fx(ratio(p99_on, p99_peer))} | lower | "
           f"{verdict(None if p99_on is None or p99_peer is None else p99_on < p99_peer)} |")
s_inferd, s_peer = level("simple_inferd", last), level("simple_fastapi", last)
if s_inferd and s_peer:
    r_simple = ratio(s_inferd["throughput_rps"], s_peer["throughput_rps"])
    out.append(f"| `simple`: inferd / FastAPI | {f1(s_inferd['throughput_rps'])} / "
               f"{f1(s_peer['throughput_rps'])} req/s | {fx(r_simple)} | >= 10x | "
               f"{verdict(None if r_simple is None else r_simple >= 10)} |")
if s_inferd:
    out += ["", f"`simple` at concurrency {last} ([bench/requests/simple.json]"
            "(../bench/requests/simple.json)):", "",
            "| server | req/s | p50 (ms) | p99 (ms) | errors |", "|---|---:|---:|---:|---|"]
    for label, lv in (("inferd", s_inferd), ("FastAPI (fastapi_simple.py)", s_peer)):
        if not lv:
            continue
        lat = lv.get("latency_ms", {})
        out.append(f"| {label} | {f1(lv['throughput_rps'])} | {f2(lat.get('p50'))} | "
                   f"{f2(lat.get('p99'))} | {errors(lv)} |")
s_many = level("simple_inferd", many) if many else None
if s_many and s_inferd:
    lat = s_many.get("latency_ms", {})
    out += ["", f"`simple` on inferd with {many} concurrent keep-alive connections (one request "
            f"in flight on each) against {last}:", "",
            "| connections | req/s | p50 (ms) | p99 (ms) | errors | req/s vs " + str(last) + " |",
            "|---:|---:|---:|---:|---|---:|"]
    for c, lv in ((last, s_inferd), (many, s_many)):
        lat = lv.get("latency_ms", {})
        out.append(f"| {c} | {f1(lv['throughput_rps'])} | {f2(lat.get('p50'))} | "
                   f"{f2(lat.get('p99'))} | {errors(lv)} | "
                   f"{fx(ratio(lv['throughput_rps'], s_inferd['throughput_rps']))} |")

over = level("inferd_overload", overload_c)
if over:
    lat, base = over.get("latency_ms", {}), level("inferd_batching", last)
    base_lat = base.get("latency_ms", {}) if base else {}
    by_status = {str(k): v for k, v in over.get("errors_by_status", {}).items()}
    refused = by_status.pop("503", 0)
    other = " ".join(f"{k}:{v}" for k, v in sorted(by_status.items()))
    other += " ".join(f"{k}:{v}" for k, v in sorted(over.get("transport_errors", {}).items()))
    total = over.get("succeeded", 0) + over.get("failed", 0)
    out += ["", f"Overload: inferd with batching and `default_queue_policy {{ max_queue_size: {last} }}` "
            f"at concurrency {overload_c} (twice {last}); latency of accepted requests only; "
            "the load generator sends again at once after each 503:", "",
            "| concurrency | accepted req/s | p50 (ms) | p99 (ms) | max (ms) | answered 503 | other errors | "
            f"p99 at {last}, unbounded queue (ms) |",
            "|---:|---:|---:|---:|---:|---:|---|---:|",
            f"| {overload_c} | {f1(over.get('throughput_rps'))} | {f2(lat.get('p50'))} | "
            f"{f2(lat.get('p99'))} | {f2(lat.get('max'))} | {refused} of {total} | "
            f"{other or 'none'} | {f2(base_lat.get('p99'))} |"]

out += ["", "Commands, in the order run (servers on free loopback ports; each is "
        "checked against the PyTorch goldens with bench/peers/check_goldens.py "
        "before and after its load):", "", "```"]
out += open(os.path.join(work, "commands.txt")).read().rstrip().split("\n")
out += ["```", ""]
out.append("<details><summary>Raw results</summary>")
out += ["", "```"]
for path in sorted(glob.glob(os.path.join(res, "*.json"))):
    doc = json.load(open(path))
    for lv in doc.get("levels", [doc]):
        name = os.path.basename(path)[:-5]
        if rounds == 1:
            name = name.rsplit(".r", 1)[0]
        out.append(name + " " + json.dumps(lv, separators=(",", ":")))
out += ["```", "", "</details>"]
print("\n".join(out))
EOF

if [[ -z "$DOC" ]]; then
  cat "$WORK/section.md"
  exit 0
fi
"$PYTHON" - "$DOC" "$SECTION" "$WORK/section.md" <<'EOF'
import os, sys
doc, section, new_path = sys.argv[1:4]
new = open(new_path).read().rstrip("\n") + "\n"
if os.path.exists(doc):
    lines = open(doc).read().split("\n")
else:
    lines = ["# Benchmarks", "", "Measured, not assumed: each section names the "
             "command that produced it.", ""]
text = "\n".join(lines)
start = next((i for i, l in enumerate(lines) if l.strip() == section), None)
if start is None:
    result = text.rstrip("\n") + "\n\n" + new
else:
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before = "\n".join(lines[:start]).rstrip("\n")
    after = "\n".join(lines[end:]).strip("\n")
    result = (before + "\n\n" if before else "") + new + ("\n" + after + "\n" if after else "")
open(doc, "w").write(result)
EOF
echo "compare: wrote \"$SECTION\" in $DOC" >&2
