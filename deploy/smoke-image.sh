#!/usr/bin/env bash
# Runs the built image as a user would (model repository mounted read-only,
# data in a volume, non-root) and checks it end to end: the health check
# command, readiness, one KServe v2 inference on `simple` with its exact sum,
# and an async job polled to its result.
#
#   deploy/smoke-image.sh [TAG] [MODEL_REPOSITORY]
#     TAG:              inferd:latest
#     MODEL_REPOSITORY: build/examples/model_repository
#
# The container runs the image's own command line (port 8000 inside),
# published on PORT (default 18000) of the host. PODMAN_RUN_FLAGS adds flags
# to `podman run`. Where the sandbox forbids raising rlimits or has hybrid
# cgroups (crun refuses both), use runc and lower limits:
#   PODMAN="podman --runtime runc" \
#   PODMAN_RUN_FLAGS="--ulimit nofile=20000:20000 --ulimit nproc=16384:16384"
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-inferd:latest}
repo=$(realpath "${2:-build/examples/model_repository}")
port=${PORT:-18000}
podman_cmd=${PODMAN:-podman}
name=inferd-smoke-$$
url=http://127.0.0.1:$port

cleanup() { $podman_cmd rm -f "$name" > /dev/null 2>&1 || true; }
trap cleanup EXIT

# shellcheck disable=SC2086  # flags are words on purpose
$podman_cmd run -d --name "$name" -p "127.0.0.1:$port:8000" ${PODMAN_RUN_FLAGS:-} \
  -v "$repo:/models:ro" "$tag" > /dev/null

for _ in $(seq 120); do
  curl -fsS "$url/v2/health/ready" > /dev/null 2>&1 && break
  if [ "$($podman_cmd inspect -f '{{.State.Running}}' "$name")" != true ]; then
    $podman_cmd logs "$name" >&2
    echo "smoke: the container exited" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$url/v2/health/ready" > /dev/null || { $podman_cmd logs "$name" >&2; exit 1; }
echo "ready: $url"

user=$($podman_cmd exec "$name" id -u)
[ "$user" != 0 ] || { echo "smoke: runs as root" >&2; exit 1; }
echo "user: $user"

# The image's own HEALTHCHECK command, run inside the container.
health=$($podman_cmd inspect -f '{{join .Config.Healthcheck.Test " "}}' "$name")
echo "healthcheck: $health"
$podman_cmd healthcheck run "$name" 2> /dev/null
echo "healthcheck: passes"

body='{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]},{"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}'
want='[2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]'
answer=$(curl -fsS -H 'Content-Type: application/json' -d "$body" "$url/v2/models/simple/infer")
/usr/bin/python3 - "$answer" "$want" <<'PY'
import json, sys
out = {o["name"]: o["data"] for o in json.loads(sys.argv[1])["outputs"]}
assert out["OUTPUT0"] == json.loads(sys.argv[2]), out
print("infer: OUTPUT0 =", out["OUTPUT0"])
PY

job=$(curl -fsS -H 'Prefer: respond-async' -H 'Content-Type: application/json' \
  -d "$body" "$url/v2/models/simple/infer")
id=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$job")
for _ in $(seq 100); do
  doc=$(curl -fsS "$url/v1/jobs/$id")
  status=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$doc")
  [ "$status" = succeeded ] && break
  sleep 0.1
done
[ "$status" = succeeded ] || { echo "smoke: job $id is $status" >&2; exit 1; }
echo "job: $id succeeded"
echo "smoke: ok ($tag)"
