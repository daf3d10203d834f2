#!/usr/bin/env bash
# Builds the inferd image without a registry: the Debian 12 base comes from
# the Debian mirror (mmdebstrap), podman builds with chroot isolation (works
# where the sandbox forbids the OCI runtime's setrlimit/namespaces).
#
#   deploy/build-image.sh [TAG]          (from the checkout root; TAG: inferd:latest)
#
# Needs: podman, mmdebstrap (Debian packages), the Debian mirror reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-inferd:latest}
if ! podman image exists docker.io/library/debian:12; then
  rootfs=$(mktemp /tmp/debian12-rootfs.XXXXXX.tar)
  mmdebstrap --variant=minbase bookworm "$rootfs"
  podman import "$rootfs" docker.io/library/debian:12
  rm -f "$rootfs"
fi
podman tag docker.io/library/debian:12 docker.io/library/debian:12-slim
# --format docker keeps the HEALTHCHECK (the OCI format has none).
podman build --isolation chroot --format docker -f deploy/Dockerfile -t "$tag" .
