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
# Both servers run at once (same binary, same flags, --no-access-log) and are
# loaded one at a time by wrk on keep-alive connections, alternating for
# ROUNDS rounds (which goes first alternates too), after a warm-up round
# each; each reports its median round (a shared machine's load comes and
# goes) and the headline is the median of the ratios of back-to-back rounds.
# A round with any failed request (a 429 would be one) stops the script.
#
# Environment (defaults in brackets):
#   INFERD_BIN   inferd binary [build/inferd]
#   EXAMPLES     output of examples/build_model_repository.py [build/examples]
#   CONNECTIONS  wrk connections [16]
#   THREADS      wrk threads [1]
#   DURATION     per round [5s]
#   ROUNDS       rounds per configuration [9]
#   IO_THREADS   the servers' --io-threads [2]
#   LIMITS       the key's limit fields, JSON [all four, high]; empty: none
#   DOC          markdown file to update [docs/benchmarks.md]; empty: stdout
#   NOTE         a paragraph to add under the result []
set -euo pipefail

cd "$(dirname "$0")/.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
EXAMPLES=${EXAMPLES:-build/examples}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-9}
IO_THREADS=${IO_THREADS:-2}
DOC=${DOC-docs/benchmarks.md}
LIMITS=${LIMITS-'"requests_per_second": 1000000, "burst": 1000000, "max_concurrent": 10000, "tokens_per_minute": 1000000000'}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

KEY=bench-key-0123456789abcdef
printf '{"name": "bench", "sha256": "%s", "scopes": ["infer"]%s}\n' \
  "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" "${LIMITS:+, $LIMITS}" > "$WORK/keys.jsonl"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME ARGS...: starts a server; sets PORT_<NAME>.
start() {
  local name=$1; shift
  local port; port=$(free_port)
  "$INFERD_BIN" serve --model-repository "$EXAMPLES/test_repository" --host 127.0.0.1 \
    --http-port "$port" --grpc-port 0 --io-threads "$IO_THREADS" --data-dir "$WORK/data.$name" \
    --no-access-log "$@" > "$WORK/server.$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "PORT_$name" %s "$port"
}
start off
start keys --api-keys "$WORK/keys.jsonl"
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT_off/v2/health/ready" >/dev/null &&
    curl -sf "http://127.0.0.1:$PORT_keys/v2/health/ready" >/dev/null && break
  sleep 0.1
done

# load NAME ROUND: one wrk round; appends "rps p50 p99" to $WORK/NAME.
load() {
  # Both get the same request bytes, the key included (the server without
  # keys ignores it), so the load generator, which shares the cores, does
  # the same work for both and the difference is the server's.
  local port headers=(-H "Authorization: Bearer $KEY")
  if [[ $1 == keys ]]; then port=$PORT_keys; else port=$PORT_off; fi
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${headers[@]}" \
        -s bench/wrk/infer_simple.lua "http://127.0.0.1:$port/v2/models/simple/infer" |
        grep WRK_RESULT)
  local errors=${out##*errors=}
  if [[ $errors != 0 ]]; then echo "auth_overhead: $1 round $2: $out" >&2; exit 1; fi
  local rps=${out#*rps=}; rps=${rps%% *}
  local p50=${out#*p50_ms=}; p50=${p50%% *}
  local p99=${out#*p99_ms=}; p99=${p99%% *}
  echo "$rps $p50 $p99" >> "$WORK/$1"
}

# A warm-up round each, not counted.
DURATION=2s load off 0; DURATION=2s load keys 0; rm -f "$WORK/off" "$WORK/keys"
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then load off "$round"; load keys "$round"
  else load keys "$round"; load off "$round"; fi
done

CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
CMD="bench/auth_overhead.sh (CONNECTIONS=$CONNECTIONS THREADS=$THREADS DURATION=$DURATION ROUNDS=$ROUNDS IO_THREADS=$IO_THREADS)"
WORK=$WORK ROUNDS=$ROUNDS CPU="$CPU ($(nproc) cores)" CMD="$CMD" DOC="$DOC" NOTE="${NOTE:-}" /usr/bin/python3 - <<'PY'
import json, os, re, statistics, sys
work = os.environ["WORK"]
rows = {n: [tuple(map(float, l.split())) for l in open(os.path.join(work, n))]
        for n in ("off", "keys")}
def median_row(name):
    ordered = sorted(rows[name])
    return ordered[len(ordered) // 2]
# Round r of each configuration ran back to back: the median of those
# paired ratios is the steadier figure on a machine whose load varies.
paired = [k[0] / o[0] for o, k in zip(rows["off"], rows["keys"])]
paired_median = statistics.median(paired)
ratio = median_row("keys")[0] / median_row("off")[0]
out = ["## API keys and rate limits: overhead", "",
       "`simple` (KServe v2 JSON infer) with `--api-keys` and a key whose limits never refuse "
       "(requests_per_second, burst, max_concurrent and tokens_per_minute all set, so every "
       "check runs: SHA-256 of the presented key, the constant-time comparison, the scope, the "
       "token bucket and the in-flight count) against the same server without keys. "
       "Both servers up at once, loaded one at a time by wrk, alternating; each row is its "
       "median round.", "",
       "- Command: `%s`" % os.environ["CMD"],
       "- CPU: %s; load generator wrk on the same cores, keep-alive connections, the same "
       "request (with the key) sent to both"
       % os.environ["CPU"], "",
       "| server | req/s (median) | rounds | p50 ms | p99 ms |",
       "|---|---|---|---|---|"]
for label, name in (("no keys", "off"), ("keys + limits", "keys")):
    rps, p50, p99 = median_row(name)
    out.append("| %s | %.0f | %s | %.2f | %.2f |" % (
        label, rps, ", ".join("%.0f" % r[0] for r in rows[name]), p50, p99))
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
