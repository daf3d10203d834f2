#!/usr/bin/env bash
# Language models over HTTP: inferd vs llama.cpp's llama-server, side by side
# in one run, on the random ~0.5B llama-shaped models (F16 and Q8_0) that
# make_llm_bench_model writes (speed does not depend on the weight values).
#
#   bench/llm/serve_compare.sh INFERD_BIN LLAMA_SERVER_BIN
#
# On a shared machine, run it under the project's CPU lock:
#   flock /tmp/cpu.lock bench/llm/serve_compare.sh build/inferd \
#     /work/peers/llama.cpp-build/bin/llama-server
#
# For each model, one server at a time on 127.0.0.1, both with THREADS
# compute threads and room for STREAMS sequences of CONTEXT tokens:
#
#   engine alone   inferd generate: one prompt of PROMPT tokens, GEN tokens,
#                  greedy, its own "generation: ... tokens/s" (prompt time
#                  excluded); the median of ENGINE_RUNS runs
#   inferd         inferd serve on a repository with one model whose
#                  config.pbtxt sets context_length CONTEXT, max_sequences
#                  STREAMS, threads THREADS and a KV cache of STREAMS x CONTEXT
#                  tokens
#   llama-server   -np STREAMS -cb -t THREADS -c LLAMA_CTX, by default
#                  STREAMS * (CONTEXT + 16): with exactly STREAMS * CONTEXT
#                  its one KV cache for all slots filled up in one of two
#                  runs and ended 16 requests with "KV cache is full" (an
#                  error event in their streams), so it gets 16 cells of
#                  headroom per slot; inferd's cache is exactly STREAMS *
#                  CONTEXT tokens (it admits a sequence only when its whole
#                  budget fits)
#
# Each server gets the same `inferd bench --route completions` run: prompts
# of exactly PROMPT random token ids (ids 259 and up are plain tokens of the
# bench vocabulary), GEN tokens each with ignore_eos, temperature 0, streamed;
# ONE_STREAM_REQUESTS requests one at a time, then twice STREAMS requests at
# concurrency STREAMS.
# One stream's decode speed (tok/s/strm: from its first to its last token) is
# compared with the engine alone; at STREAMS streams, aggregate output
# tokens/s and TTFT p50/p99; and each server's peak resident memory (VmHWM).
#
# Environment (defaults in brackets):
#   LLM_BENCH_DIR   where the model files are, or are generated on first use
#                   (~1.5 GB) [/tmp/inferd-llm-bench]
#   MAKE_MODEL      make_llm_bench_model [found under INFERD_BIN's build dir]
#   OUT             folder for the JSON reports [$LLM_BENCH_DIR/results]
#   TYPES           model types [f16 q8_0]
#   THREADS [2]  STREAMS [16]  PROMPT [128]  GEN [128]
#   MAX_BATCH_TOKENS  inferd's tokens per step (decodes + prompt chunks) [256]
#   CONTEXT         tokens per sequence [PROMPT + GEN]
#   LLAMA_CTX       llama-server's -c [STREAMS * (CONTEXT + 16)]
#   ENGINE_RUNS [3]  ONE_STREAM_REQUESTS [3]
#   PROMPT_WORDS    when set: prompts of this many words of inferd bench's
#                   word list instead of PROMPT token ids (llama-server
#                   builds from mid-2025 on refuse token ids on
#                   /v1/completions: "prompt must be a string"); each server
#                   tokenizes them, and the report shows the prompt length in
#                   tokens. Keep it within CONTEXT - GEN tokens.
#   PORT            first of two ports [18480]
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
INFERD_BIN=$(realpath "$1")
LLAMA_SERVER_BIN=$(realpath "$2")
DIR=${LLM_BENCH_DIR:-/tmp/inferd-llm-bench}
OUT=${OUT:-$DIR/results}
TYPES=${TYPES:-f16 q8_0}
THREADS=${THREADS:-2}
MAX_BATCH_TOKENS=${MAX_BATCH_TOKENS:-256}
STREAMS=${STREAMS:-16}
PROMPT=${PROMPT:-128}
GEN=${GEN:-128}
CONTEXT=${CONTEXT:-$((PROMPT + GEN))}
LLAMA_CTX=${LLAMA_CTX:-$((STREAMS * (CONTEXT + 16)))}
ENGINE_RUNS=${ENGINE_RUNS:-3}
ONE_STREAM_REQUESTS=${ONE_STREAM_REQUESTS:-3}
PORT=${PORT:-18480}
PYTHON=/usr/bin/python3
mkdir -p "$DIR" "$OUT"

# CPU time used on the machine by other processes during a phase: all busy
# time (/proc/stat, steal excluded) minus this script's and its children's.
# A shared machine's other work shows up here instead of silently in the
# figures.
CLK=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
own_ticks() { awk '{print $14+$15+$16+$17}' "/proc/$$/stat"; }
phase_start() {
  PHASE_BUSY=$(busy_ticks)
  PHASE_OWN=$(own_ticks)
  PHASE_T0=$(date +%s.%N)
}
phase_end() {  # LABEL
  awk -v label="$1" -v busy="$(busy_ticks)" -v own="$(own_ticks)" \
    -v busy0="$PHASE_BUSY" -v own0="$PHASE_OWN" -v clk="$CLK" \
    -v wall="$(awk -v t0="$PHASE_T0" -v t1="$(date +%s.%N)" 'BEGIN{print t1 - t0}')" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
      other = (busy - busy0 - (own - own0)) / clk
      printf "%s: %.0f s; other processes used %.1f CPU-s (%.0f%% of one CPU); load average %s\n",
        label, wall, other, 100 * other / wall, load }'
}

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

wait_ready() {  # URL LOG
  for _ in $(seq 600); do
    if curl -sf "$1" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server exited; its log:" >&2
      tail -20 "$2" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "server not ready after 300 s: $1" >&2
  exit 1
}

# Peak resident memory of the running server (VmHWM, kB) into FILE.
peak_rss() {  # FILE
  awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status" >"$1"
}

bench() {  # PORT MODEL JSON_OUT_PREFIX
  local prompt=(--prompt-tokens "$PROMPT" --token-id-range 259:32000)
  [ -n "${PROMPT_WORDS:-}" ] && prompt=(--prompt-tokens "$PROMPT_WORDS")
  local common=(--url "http://127.0.0.1:$1" --model "$2" --route completions
    "${prompt[@]}" --max-tokens "$GEN" --no-progress --json)
  "$INFERD_BIN" bench "${common[@]}" --concurrency 1 \
    --num-requests "$ONE_STREAM_REQUESTS" >"$3-1.json"
  "$INFERD_BIN" bench "${common[@]}" --concurrency "$STREAMS" \
    --num-requests $((2 * STREAMS)) >"$3-$STREAMS.json"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "llama-server: $("$LLAMA_SERVER_BIN" --version 2>&1 | grep -m1 version || true)"
echo "settings: THREADS=$THREADS MAX_BATCH_TOKENS=$MAX_BATCH_TOKENS STREAMS=$STREAMS PROMPT=$PROMPT GEN=$GEN" \
  "CONTEXT=$CONTEXT LLAMA_CTX=$LLAMA_CTX"

for type in $TYPES; do
  name=bench-0.5b-$type
  file=$DIR/$name.gguf
  if [ ! -s "$file" ]; then
    make_model=${MAKE_MODEL:-$(find "$(dirname "$INFERD_BIN")" -name make_llm_bench_model -type f | head -n 1)}
    "$make_model" --type "$type" --out "$file"
  fi

  # Engine alone, ENGINE_RUNS times; the median counts. The
  # bench vocabulary has no letters, so each character of the prompt is one
  # byte token: PROMPT tokens with the space prefix and BOS.
  prompt=$(printf 'a%.0s' $(seq $((PROMPT - 4))))
  phase_start
  for run in $(seq "$ENGINE_RUNS"); do
    "$INFERD_BIN" generate -m "$file" -p "$prompt" -n "$GEN" -t "$THREADS" \
      --temp 0 --ignore-eos --no-echo >/dev/null 2>"$OUT/$name-generate-$run.txt"
  done
  phase_end "$type engine alone"

  # inferd
  repo=$DIR/repo-$type
  rm -rf "$repo"
  mkdir -p "$repo/$name/1"
  ln -s "$file" "$repo/$name/1/model.gguf"
  kv_bytes=$(( STREAMS * CONTEXT * 2 * 28 * 256 * 4 ))  # f32 K and V
  cat >"$repo/$name/config.pbtxt" <<EOF
backend: "gguf"
parameters { key: "context_length" value { string_value: "$CONTEXT" } }
parameters { key: "max_sequences" value { string_value: "$STREAMS" } }
parameters { key: "threads" value { string_value: "$THREADS" } }
parameters { key: "max_batch_tokens" value { string_value: "$MAX_BATCH_TOKENS" } }
parameters { key: "kv_cache_bytes" value { string_value: "$kv_bytes" } }
EOF
  "$INFERD_BIN" serve --model-repository "$repo" \
    --allow-symlinks-outside-repository --http-port "$PORT" \
    --data-dir "$DIR/inferd-data" >"$OUT/$name-inferd.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$PORT/v2/models/$name/ready" "$OUT/$name-inferd.log"
  phase_start
  bench "$PORT" "$name" "$OUT/$name-inferd"
  peak_rss "$OUT/$name-inferd-rss.txt"
  echo "$kv_bytes" >"$OUT/$name-inferd-kv.txt"
  stop_server
  phase_end "$type inferd"

  # llama-server
  "$LLAMA_SERVER_BIN" -m "$file" --host 127.0.0.1 --port $((PORT + 1)) \
    -np "$STREAMS" -cb -t "$THREADS" -c "$LLAMA_CTX" \
    >"$OUT/$name-llama-server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$((PORT + 1))/health" "$OUT/$name-llama-server.log"
  phase_start
  bench $((PORT + 1)) "$name" "$OUT/$name-llama-server"
  peak_rss "$OUT/$name-llama-server-rss.txt"
  stop_server
  phase_end "$type llama-server"
  echo "$type: llama-server $(grep -m1 -o 'AVX2 = 1.*AVX512 = [01]' "$OUT/$name-llama-server.log" || true)"
done

"$PYTHON" - "$OUT" "$STREAMS" "$ENGINE_RUNS" "$DIR" $TYPES <<'EOF'
import json, os, re, statistics, sys
out, streams, engine_runs, bench_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
types = sys.argv[5:]

def mb(kb_file):
    return int(open(kb_file).read()) / 1024

def level(prefix, c):
    return json.load(open(f"{prefix}-{c}.json"))["levels"][0]

def engine(name):
    runs = []
    for run in range(1, engine_runs + 1):
        text = open(f"{out}/{name}-generate-{run}.txt").read()
        runs.append(float(re.search(r"generation:.*= *([\d.]+) tokens/s", text).group(1)))
    return runs

print()
print(f"| model | server | 1 stream tok/s | vs engine alone | {streams} streams: output tok/s "
      f"| TTFT p50 (ms) | TTFT p99 (ms) | ITL p50 (ms) | ITL p99 (ms) | failed / short |")
print("|---|---|---|---|---|---|---|---|---|---|")
for t in types:
    name = f"bench-0.5b-{t}"
    runs = engine(name)
    best = statistics.median(runs)
    print(f"| {t.upper()} | engine alone (`inferd generate`) | {best:.2f} "
          f"(runs: {', '.join(f'{r:.2f}' for r in runs)}) | | | | | | | |")
    agg = {}
    for server in ("inferd", "llama-server"):
        one = level(f"{out}/{name}-{server}", 1)
        many = level(f"{out}/{name}-{server}", streams)
        agg[server] = many
        bad = one["failed"] + many["failed"]
        short = one["short_requests"] + many["short_requests"]
        print(f"| {t.upper()} | {server} | {one['stream_tokens_per_s_p50']:.2f} "
              f"| {100 * one['stream_tokens_per_s_p50'] / best:.0f}% "
              f"| {many['output_tokens_per_s']:.2f} | {many['ttft_ms']['p50']:.0f} "
              f"| {many['ttft_ms']['p99']:.0f} | {many['itl_ms']['p50']:.1f} "
              f"| {many['itl_ms']['p99']:.0f} | {bad} / {short} |")
    i, l = agg["inferd"], agg["llama-server"]
    print(f"| {t.upper()} | inferd / llama-server | | "
          f"| {i['output_tokens_per_s'] / l['output_tokens_per_s']:.2f}x "
          f"| {i['ttft_ms']['p50'] / l['ttft_ms']['p50']:.2f}x "
          f"| {i['ttft_ms']['p99'] / l['ttft_ms']['p99']:.2f}x | | | |")

print()
print("| model | file (MB) | inferd KV cache (MB) | bound: file + KV + 200 MB | inferd peak RSS (MB) "
      "| llama-server peak RSS (MB) |")
print("|---|---|---|---|---|---|")
for t in types:
    name = f"bench-0.5b-{t}"
    file_mb = os.path.getsize(f"{bench_dir}/{name}.gguf") / 2**20
    kv_mb = int(open(f"{out}/{name}-inferd-kv.txt").read()) / 2**20
    print(f"| {t.upper()} | {file_mb:.0f} | {kv_mb:.0f} | {file_mb + kv_mb + 200:.0f} "
          f"| {mb(f'{out}/{name}-inferd-rss.txt'):.0f} "
          f"| {mb(f'{out}/{name}-llama-server-rss.txt'):.0f} |")
EOF
