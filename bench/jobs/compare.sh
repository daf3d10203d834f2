#!/usr/bin/env bash
# Issue 5 benchmark, everything in one run: inferd's async jobs vs the seed's
# Celery + Redis path on the same submit-and-poll workload, the in-process
# durable-submission figure, and the response cache's hit latency.
#
#   bench/jobs/compare.sh             # results: $OUT (JSON lines) and a summary on stdout
#
# Steps (one server at a time on 127.0.0.1, random high ports):
#   1. machine: nproc, CPU model, load average (again before each step)
#   2. in-process: inferd_jobs_bench --async=256 --jobs=50000 --sync=full
#   3. inferd:   inferd serve on the example repository, a fresh --data-dir,
#                --job-workers $JOB_WORKERS; bench/jobs/submit_poll.py
#                (phase submit: N jobs by C clients, then drained by polling;
#                phase e2e: each client submit -> poll until final -> next)
#   4. celery:   redis-server (appendonly yes, appendfsync $REDIS_FSYNC, no
#                RDB) + bench/peers/celery_simple.py worker (prefork,
#                $CELERY_CONCURRENCY processes, the model loaded once each)
#                + its FastAPI front (uvicorn, one process); the same driver
#   5. cache:    a copy of the example repository where simple has
#                response_cache { enable: true }; `inferd bench -c 1` with
#                bench/requests/simple.json (one fixed body: every request
#                after the first is a hit) over keep-alive; then the same on
#                the unmodified repository (cache off, every request runs
#                the model)
#
# Environment (defaults in brackets):
#   INFERD_BIN [build/inferd]  JOBS_BENCH_BIN [build/src/jobs/inferd_jobs_bench]
#   EXAMPLES [build/examples]  PYTHON [/usr/bin/python3]
#   JOBS [20000] CELERY_JOBS [2000: the peer runs ~100 jobs/s] CLIENTS [64] PROCS [1] POLL_INTERVAL [0.005]
#   JOB_WORKERS [8] CELERY_CONCURRENCY [2] REDIS_FSYNC [always]
#   CACHE_DURATION [10s] SKIP [space-separated steps to skip: inproc inferd redis celery cache]
#   OUT [build/bench-jobs/results.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
JOBS_BENCH_BIN=${JOBS_BENCH_BIN:-build/src/jobs/inferd_jobs_bench}
EXAMPLES=${EXAMPLES:-build/examples}
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-20000}
CELERY_JOBS=${CELERY_JOBS:-2000}
CLIENTS=${CLIENTS:-64}
PROCS=${PROCS:-1}
POLL_INTERVAL=${POLL_INTERVAL:-0.005}
JOB_WORKERS=${JOB_WORKERS:-8}
CELERY_CONCURRENCY=${CELERY_CONCURRENCY:-2}
REDIS_FSYNC=${REDIS_FSYNC:-always}
CACHE_DURATION=${CACHE_DURATION:-10s}
SKIP=${SKIP:-}
OUT=${OUT:-build/bench-jobs/results.jsonl}
REPO="$EXAMPLES/model_repository"

mkdir -p "$(dirname "$OUT")"
: > "$OUT"
TMP=$(mktemp -d /tmp/inferd-jobs-compare.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

skip() { [[ " $SKIP " == *" $1 "* ]]; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
record() { echo "$1" >> "$OUT"; echo "$1"; }
wait_ready() {  # url
  for _ in $(seq 300); do
    curl -sf "$1/v2/health/ready" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "compare: $1 not ready" >&2; return 1
}
stop() {  # pid: SIGTERM and wait
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
driver() {  # label url jobs
  "$PYTHON" bench/jobs/submit_poll.py --url "$2" --jobs "$3" --clients "$CLIENTS" \
    --procs "$PROCS" --poll-interval "$POLL_INTERVAL" --label "$1" --json |
    while read -r line; do record "$line"; done
}

record "$(printf '{"step":"machine","nproc":%d,"cpu":"%s","load":"%s","date":"%s","jobs":%d,"celery_jobs":%d,"clients":%d,"procs":%d,"poll_interval_s":%s,"job_workers":%d,"celery_concurrency":%d,"redis_fsync":"%s"}' \
  "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(load)" \
  "$(date -u +%FT%TZ)" "$JOBS" "$CELERY_JOBS" "$CLIENTS" "$PROCS" "$POLL_INTERVAL" "$JOB_WORKERS" \
  "$CELERY_CONCURRENCY" "$REDIS_FSYNC")"

# 2. In-process durable submissions.
if ! skip inproc && [ -x "$JOBS_BENCH_BIN" ]; then
  echo "== in-process inferd_jobs_bench (load $(load))" >&2
  "$JOBS_BENCH_BIN" --async=256 --jobs=50000 --sync=full --dir="$TMP/inproc" > "$TMP/inproc.txt" 2>&1
  cat "$TMP/inproc.txt" >&2
  record "$("$PYTHON" -c 'import json,sys; print(json.dumps({"step":"inproc","load":sys.argv[2],"output":open(sys.argv[1]).read().strip()}))' "$TMP/inproc.txt" "$(load)")"
fi

# 3. inferd.
if ! skip inferd; then
  port=$(free_port)
  echo "== inferd on :$port (load $(load))" >&2
  "$INFERD_BIN" serve --model-repository "$REPO" --http-port "$port" --grpc-port 0 \
    --data-dir "$TMP/inferd-data" --job-workers "$JOB_WORKERS" > "$TMP/inferd.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$port"
  record "{\"step\":\"inferd\",\"load\":\"$(load)\"}"
  driver inferd "http://127.0.0.1:$port" "$JOBS"
  stop "$pid"
fi

# 3b. inferd with --redis (jobs on Redis Streams): 1 replica, then 2
#     replicas behind haproxy, on one redis-server (appendonly yes,
#     appendfsync $REDIS_FSYNC). Redis commands per job from INFO
#     commandstats (reset before each run; idle workers' polls included).
if ! skip redis; then
  for replicas in 1 2; do
    rport=$(free_port)
    mkdir -p "$TMP/redis-inferd-$replicas"
    redis-server --bind 127.0.0.1 --port "$rport" --dir "$TMP/redis-inferd-$replicas" --save "" \
      --appendonly yes --appendfsync "$REDIS_FSYNC" --logfile "$TMP/redis-inferd.log" &
    rpid=$!; PIDS+=("$rpid")
    for _ in $(seq 50); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.1; done
    ports=()
    rpids=()
    for r in $(seq "$replicas"); do
      port=$(free_port); ports+=("$port")
      "$INFERD_BIN" serve --model-repository "$REPO" --http-port "$port" --grpc-port 0 \
        --data-dir "$TMP/inferd-redis-data-$r" --job-workers "$JOB_WORKERS" \
        --redis "redis://127.0.0.1:$rport/0" --replica-name "r$r" > "$TMP/inferd-redis-$r.log" 2>&1 &
      pid=$!; PIDS+=("$pid"); rpids+=("$pid")
      wait_ready "http://127.0.0.1:$port"
    done
    url="http://127.0.0.1:${ports[0]}"
    if [ "$replicas" -gt 1 ]; then
      bport=$(free_port)
      { printf 'defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
        printf 'frontend f\n  bind 127.0.0.1:%d\n  default_backend b\nbackend b\n  balance roundrobin\n' "$bport"
        for p in "${ports[@]}"; do printf '  server s%d 127.0.0.1:%d\n' "$p" "$p"; done
      } > "$TMP/haproxy.cfg"
      haproxy -f "$TMP/haproxy.cfg" -db > /dev/null 2>&1 &
      hpid=$!; PIDS+=("$hpid")
      for _ in $(seq 50); do curl -sf "http://127.0.0.1:$bport/v2/health/live" > /dev/null && break; sleep 0.1; done
      url="http://127.0.0.1:$bport"
    fi
    redis-cli -p "$rport" config resetstat > /dev/null
    echo "== inferd --redis, $replicas replica(s) via $url (load $(load))" >&2
    record "{\"step\":\"inferd-redis\",\"replicas\":$replicas,\"load\":\"$(load)\"}"
    driver "inferd-redis-x$replicas" "$url" "$JOBS"
    calls=$(redis-cli -p "$rport" info commandstats | tr -d '\r' | sed -n 's/.*:calls=\([0-9]*\),.*/\1/p' | paste -sd+ | bc)
    evals=$(redis-cli -p "$rport" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_eval\(sha\)\{0,1\}:calls=\([0-9]*\),.*/\2/p' | paste -sd+ | bc)
    record "{\"step\":\"redis-commands\",\"replicas\":$replicas,\"jobs\":$((2 * JOBS)),\"calls\":$calls,\"evals\":${evals:-0}}"
    redis-cli -p "$rport" info commandstats | tr -d '\r' | grep '^cmdstat' > "$TMP/commandstats-$replicas.txt"
    cat "$TMP/commandstats-$replicas.txt" >&2
    [ "$replicas" -gt 1 ] && stop "$hpid"
    for pid in "${rpids[@]}"; do stop "$pid"; done
    stop "$rpid"
  done
fi

# 4. Celery + Redis.
if ! skip celery; then
  rport=$(free_port)
  mkdir -p "$TMP/redis"
  redis-server --bind 127.0.0.1 --port "$rport" --dir "$TMP/redis" --save "" \
    --appendonly yes --appendfsync "$REDIS_FSYNC" --logfile "$TMP/redis.log" &
  rpid=$!; PIDS+=("$rpid")
  for _ in $(seq 50); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.1; done
  redis_url="redis://127.0.0.1:$rport/0"
  "$PYTHON" bench/peers/celery_simple.py worker --redis "$redis_url" \
    --concurrency "$CELERY_CONCURRENCY" --model "$REPO/simple/1/model.pt" > "$TMP/celery.log" 2>&1 &
  wpid=$!; PIDS+=("$wpid")
  port=$(free_port)
  "$PYTHON" bench/peers/celery_simple.py serve --redis "$redis_url" --port "$port" \
    > "$TMP/celery-api.log" 2>&1 &
  apid=$!; PIDS+=("$apid")
  wait_ready "http://127.0.0.1:$port"
  echo "== celery on :$port, redis :$rport (load $(load))" >&2
  record "{\"step\":\"celery\",\"load\":\"$(load)\",\"redis\":\"$(redis-server --version | cut -d' ' -f3)\"}"
  driver celery "http://127.0.0.1:$port" "$CELERY_JOBS"
  stop "$apid"; stop "$wpid"; stop "$rpid"
fi

# 5. Cache-hit latency, cache on vs off.
if ! skip cache; then
  cp -r "$REPO" "$TMP/cached-repo"
  printf '\nresponse_cache { enable: true }\n' >> "$TMP/cached-repo/simple/config.pbtxt"
  for mode in on off; do
    repo="$REPO"; [ "$mode" = on ] && repo="$TMP/cached-repo"
    port=$(free_port)
    "$INFERD_BIN" serve --model-repository "$repo" --http-port "$port" --grpc-port 0 \
      --data-dir "$TMP/cache-data-$mode" > "$TMP/cache-$mode.log" 2>&1 &
    pid=$!; PIDS+=("$pid")
    wait_ready "http://127.0.0.1:$port"
    for _ in 1 2; do
      xc=$(curl -s -o /dev/null -D - -H 'Content-Type: application/json' \
        --data-binary @bench/requests/simple.json "http://127.0.0.1:$port/v2/models/simple/infer" |
        tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
    done
    echo "== cache $mode on :$port, second request X-Cache: ${xc:-none} (load $(load))" >&2
    "$INFERD_BIN" bench --url "http://127.0.0.1:$port" -m simple \
      --input-file bench/requests/simple.json -c 1 -d "$CACHE_DURATION" --warmup 2s \
      --no-progress --json > "$TMP/cache-$mode.json"
    record "$("$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
level = doc["levels"][0]
print(json.dumps({"step": "cache", "cache": sys.argv[2], "x_cache": sys.argv[3], "load": sys.argv[4],
                  "requests": level["requests"], "failed": level["failed"],
                  "throughput_rps": level["throughput_rps"], "latency_ms": level["latency_ms"]}))
' "$TMP/cache-$mode.json" "$mode" "${xc:-none}" "$(load)")"
    curl -s "http://127.0.0.1:$port/metrics" | grep -E '^inferd_cache_(hits|misses|insertions)_total' >&2 || true
    stop "$pid"
  done
fi

# Summary.
"$PYTHON" - "$OUT" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("\n| server | phase | jobs/s | submit p50 / p99 ms | completion p50 / p99 ms | errors |")
print("|---|---|---|---|---|---|")
for r in rows:
    if "phase" not in r:
        continue
    if r["phase"] == "submit":
        print("| %s | submit only | %s submissions/s (drain %s jobs/s) | %s / %s | %s / %s | %d |" % (
            r["label"], r["submissions_per_s"], r["drain_jobs_per_s"], r["submit_p50_ms"],
            r["submit_p99_ms"], r["completion_p50_ms"], r["completion_p99_ms"], r["errors"]))
    else:
        print("| %s | submit + poll | %s end-to-end | %s / %s | %s / %s | %d |" % (
            r["label"], r["e2e_jobs_per_s"], r["submit_p50_ms"], r["submit_p99_ms"],
            r["completion_p50_ms"], r["completion_p99_ms"], r["errors"]))
for r in rows:
    if r.get("step") == "redis-commands":
        per_job = r["calls"] / r["jobs"]
        print("redis, %d replica(s): %d commands for %d jobs = %.1f commands/job (%d scripts); "
              "one Redis at 100k commands/s carries %.0f jobs/s" % (
                  r["replicas"], r["calls"], r["jobs"], per_job, r["evals"], 100000 / per_job))
    if r.get("step") == "cache":
        l = r["latency_ms"]
        print("cache %s (X-Cache %s): %d requests, %s req/s, p50 %s ms, p99 %s ms, failed %d" % (
            r["cache"], r["x_cache"], r["requests"], r["throughput_rps"], l["p50"], l["p99"], r["failed"]))
    if r.get("step") == "inproc":
        print("in-process:", r["output"].replace("\n", " | "))
EOF
