#!/usr/bin/env bash
# What API keys and rate limits cost: `simple` req/s with --api-keys and a key
# whose limits are high enough never to refuse (every check runs: SHA-256 of
# the key, constant-time comparison, scope, the token bucket, the concurrency
# count) vs the same server without keys, in the same run.
#
#   bench/auth_overhead.sh          # measures, then rewrites the section
#                                   # "## API keys and rate limits: overhead"
#                                   # of docs/benchmarks.md
#   DOC= bench/auth_overhead.sh     # prints the section instead
#
# One server at a time on 127.0.0.1, `inferd bench` on keep-alive
# connections; the two configurations alternate for ROUNDS rounds (which
# goes first alternates too) and each
# reports its median round (a shared machine's load comes and goes); the
# headline is the median of the ratios of back-to-back rounds. A
# round with any failed request (a 429 would be one) stops the script.
#
# Environment (defaults in brackets):
#   INFERD_BIN   inferd binary [build/inferd]
#   EXAMPLES     output of examples/build_model_repository.py [build/examples]
#   CONCURRENCY  requests in flight [8]
#   DURATION, WARMUP  per round [5s, 1s]
#   ROUNDS       rounds per configuration [5]
#   IO_THREADS   the server's --io-threads [2]
#   LIMITS       the key's limit fields, JSON [all four, high]; empty: none
#   DOC          markdown file to update [docs/benchmarks.md]; empty: stdout
#   NOTE         a paragraph to add under the result []
set -euo pipefail

cd "$(dirname "$0")/.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
EXAMPLES=${EXAMPLES:-build/examples}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-5}
IO_THREADS=${IO_THREADS:-2}
DOC=${DOC-docs/benchmarks.md}
LIMITS=${LIMITS-'"requests_per_second": 1000000, "burst": 1000000, "max_concurrent": 10000, "tokens_per_minute": 1000000000'}

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

KEY=bench-key-0123456789abcdef
printf '{"name": "bench", "sha256": "%s", "scopes": ["infer"]%s}\n' \
  "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" "${LIMITS:+, $LIMITS}" > "$WORK/keys.jsonl"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_round NAME ARGS...: starts a server with ARGS, loads it, stops it.
run_round() {
  local name=$1 round=$2; shift 2
  local port; port=$(free_port)
  "$INFERD_BIN" serve --model-repository "$EXAMPLES/test_repository" --host 127.0.0.1 \
    --http-port "$port" --io-threads "$IO_THREADS" --data-dir "$WORK/data.$name" \
    --no-access-log "$@" > "$WORK/server.$name.$round.log" 2>&1 &
  SERVER_PID=$!
  local headers=()
  [[ $name == keys ]] && headers=(--header "Authorization: Bearer $KEY")
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break
    sleep 0.1
  done
  "$INFERD_BIN" bench --url "http://127.0.0.1:$port" --model simple "${headers[@]}" \
    --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json \
    > "$WORK/bench.$name.$round.json" 2> "$WORK/bench.$name.$round.err" || {
      echo "auth_overhead: inferd bench failed ($name):" >&2; cat "$WORK/bench.$name.$round.err" >&2; exit 1; }
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# Which runs first alternates, so neither gains from its place in the pair.
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then
    run_round off "$round"
    run_round keys "$round" --api-keys "$WORK/keys.jsonl"
  else
    run_round keys "$round" --api-keys "$WORK/keys.jsonl"
    run_round off "$round"
  fi
done

CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
CMD="bench/auth_overhead.sh (CONCURRENCY=$CONCURRENCY DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS IO_THREADS=$IO_THREADS)"
WORK=$WORK ROUNDS=$ROUNDS CPU="$CPU ($(nproc) cores)" CMD="$CMD" DOC="$DOC" NOTE="${NOTE:-}" /usr/bin/python3 - <<'PY'
import json, os, re, statistics, sys
work, rounds = os.environ["WORK"], int(os.environ["ROUNDS"])
rows = {}
for name in ("off", "keys"):
    levels = []
    for r in range(1, rounds + 1):
        with open(os.path.join(work, "bench.%s.%d.json" % (name, r))) as f:
            level = json.load(f)["levels"][0]
        if level["failed"] or level["succeeded"] == 0:
            sys.exit("auth_overhead: %s round %d had %d failed requests: %s"
                     % (name, r, level["failed"], level.get("errors_by_status")))
        levels.append(level)
    levels.sort(key=lambda lv: lv["throughput_rps"])
    rows[name] = (levels[len(levels) // 2], [lv["throughput_rps"] for lv in levels])
off, on = rows["off"][0], rows["keys"][0]
ratio = on["throughput_rps"] / off["throughput_rps"]
# Round r of each configuration ran back to back: the median of those
# paired ratios is the steadier figure on a machine whose load varies.
paired = []
for r in range(1, rounds + 1):
    rps = {}
    for name in ("off", "keys"):
        with open(os.path.join(work, "bench.%s.%d.json" % (name, r))) as f:
            rps[name] = json.load(f)["levels"][0]["throughput_rps"]
    paired.append(rps["keys"] / rps["off"])
paired_median = statistics.median(paired)
out = ["## API keys and rate limits: overhead", "",
       "`simple` (KServe v2 JSON infer) with `--api-keys` and a key whose limits never refuse "
       "(requests_per_second, burst, max_concurrent and tokens_per_minute all set, so every "
       "check runs: SHA-256 of the presented key, the constant-time comparison, the scope, the "
       "token bucket and the in-flight count) against the same server without keys. One server "
       "at a time, the two alternating; each row is its median round.", "",
       "- Command: `%s`" % os.environ["CMD"],
       "- CPU: %s; load generator `inferd bench` on the same machine, keep-alive connections"
       % os.environ["CPU"], "",
       "| server | req/s (median) | rounds | p50 ms | p99 ms |",
       "|---|---|---|---|---|"]
for label, name in (("no keys", "off"), ("keys + limits", "keys")):
    lv, all_rps = rows[name]
    out.append("| %s | %.0f | %s | %.3f | %.3f |" % (
        label, lv["throughput_rps"], ", ".join("%.0f" % x for x in all_rps),
        lv["latency_ms"]["p50"], lv["latency_ms"]["p99"]))
out += ["", "Keys and limits on / off: **%.1f%%** of the throughput, median of the paired "
        "rounds (%s); %.1f%% between the median rounds. Target: at least 95%%."
        % (100 * paired_median, ", ".join("%.1f%%" % (100 * x) for x in paired), 100 * ratio), ""]
if os.environ.get("NOTE"):
    out += [os.environ["NOTE"], ""]
section = "\n".join(out)
doc = os.environ.get("DOC")
if not doc:
    print(section)
    sys.exit(0)
text = open(doc, encoding="utf-8").read()
pattern = re.compile(r"^## API keys and rate limits: overhead\n.*?(?=^## |\Z)", re.M | re.S)
text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(doc, "w", encoding="utf-8").write(text)
print(section)
PY
