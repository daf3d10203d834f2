#!/usr/bin/env bash
# What HTTPS costs: `simple` req/s over TLS (--tls-cert/--tls-key, a
# self-signed P-256 certificate made here with openssl) vs plain HTTP, in the
# same run, on keep-alive connections (wrk keeps its connections open, so
# the handshake is paid once per connection and the figure is the cost of
# the record layer: encryption, framing, the extra copies).
#
#   bench/tls_overhead.sh           # prints a markdown table and the ratio
#
# Both servers run at once (same binary, same flags, --no-access-log); the
# two are loaded one at a time, alternating for ROUNDS rounds (which goes
# first alternates too). Each reports its median round; the headline is the
# median of the ratios of back-to-back rounds. A round with any error stops
# the script.
#
# Environment (defaults in brackets):
#   INFERD_BIN   inferd binary [build/inferd]
#   EXAMPLES     output of examples/build_model_repository.py [build/examples]
#   CONNECTIONS  wrk connections [16]
#   THREADS      wrk threads [1]
#   DURATION     per round [5s]
#   ROUNDS       rounds per configuration [5]
#   IO_THREADS   the servers' --io-threads [2]
set -euo pipefail

cd "$(dirname "$0")/.."

INFERD_BIN=${INFERD_BIN:-build/inferd}
EXAMPLES=${EXAMPLES:-build/examples}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
IO_THREADS=${IO_THREADS:-2}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$WORK/server.key" -out "$WORK/server.crt" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

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
start plain
start tls --tls-cert "$WORK/server.crt" --tls-key "$WORK/server.key"
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT_plain/v2/health/ready" >/dev/null &&
    curl -sf --cacert "$WORK/server.crt" "https://127.0.0.1:$PORT_tls/v2/health/ready" >/dev/null &&
    break
  sleep 0.1
done
protocol=$(echo | openssl s_client -connect "127.0.0.1:$PORT_tls" 2>/dev/null |
           awk '/^New,/ {print $2, $5}')

# load NAME URL ROUND: one wrk round; appends "rps p50 p99" to $WORK/NAME.
load() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/wrk/infer_simple.lua \
        "$2/v2/models/simple/infer" | grep WRK_RESULT)
  local errors=${out##*errors=}
  if [[ $errors != 0 ]]; then echo "tls_overhead: $1 round $3: $out" >&2; exit 1; fi
  local rps=${out#*rps=}; rps=${rps%% *}
  local p50=${out#*p50_ms=}; p50=${p50%% *}
  local p99=${out#*p99_ms=}; p99=${p99%% *}
  echo "$rps $p50 $p99" >> "$WORK/$1"
}

# A warm-up round each, not counted.
DURATION=2s load warm "http://127.0.0.1:$PORT_plain" 0
DURATION=2s load warm "https://127.0.0.1:$PORT_tls" 0
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then
    load plain "http://127.0.0.1:$PORT_plain" "$round"
    load tls "https://127.0.0.1:$PORT_tls" "$round"
  else
    load tls "https://127.0.0.1:$PORT_tls" "$round"
    load plain "http://127.0.0.1:$PORT_plain" "$round"
  fi
done

/usr/bin/python3 - "$WORK" "$protocol" <<'EOF'
import statistics, sys
work, protocol = sys.argv[1], sys.argv[2]
rows = {n: [tuple(map(float, l.split())) for l in open("%s/%s" % (work, n))] for n in ("plain", "tls")}
def median_row(name):
    ordered = sorted(rows[name])
    return ordered[len(ordered) // 2]
print("| server | req/s (median) | rounds | p50 ms | p99 ms |")
print("|---|---|---|---|---|")
for name, label in (("plain", "HTTP"), ("tls", "HTTPS (%s)" % protocol)):
    rps, p50, p99 = median_row(name)
    rounds = ", ".join("%.0f" % r[0] for r in rows[name])
    print("| %s | %.0f | %s | %.2f | %.2f |" % (label, rps, rounds, p50, p99))
ratios = [t[0] / p[0] for p, t in zip(rows["plain"], rows["tls"])]
print()
print("HTTPS / HTTP: **%.1f%%**, median of the paired rounds (%s); %.1f%% between the median rounds."
      % (100 * statistics.median(ratios), ", ".join("%.1f%%" % (100 * r) for r in ratios),
         100 * median_row("tls")[0] / median_row("plain")[0]))
EOF
