#!/usr/bin/env bash
# Installs every Debian 12 package inferd needs to build, test and run its
# examples. Idempotent: packages already present are skipped, and apt is only
# touched when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  # HTTP, async I/O, JSON, URLs
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # Status, Mutex, strings
  libabsl-dev
  # TorchScript execution; OpenBLAS so libtorch does not use the reference BLAS
  libtorch-dev libopenblas0-pthread
  # model config text format
  libprotobuf-dev protobuf-compiler
  # logging, formatting, command line
  libspdlog-dev libfmt-dev libcli11-dev
  # tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # load testing
  wrk
  # example models and Python peers (run with /usr/bin/python3). Not
  # python3-sklearn: through python3-scipy -> python3-pythran it needs
  # libboost-dev (1.74), which conflicts with libboost1.81-dev. Its bundled
  # digits data set is extracted from the package instead (see below).
  python3 python3-torch python3-numpy python3-fastapi uvicorn
  # LLM engine: tokenizer Unicode classes, sgemm peer, test-model text, regex
  libutf8proc-dev libopenblas-dev fortunes-min python3-regex
  # example chat model: its conversations are made of fortune cookies
  fortunes
  # chat templates: the goldens are rendered by real Jinja2 at build time
  python3-jinja2
  # structured output: the end-to-end tests validate answers against their JSON schemas
  python3-jsonschema
  # tokenizers: regex pre-tokenizers and normalizers (look-ahead, \p{L})
  libpcre2-dev
  # job store (SQLite, WAL) and response-cache keys (XXH3-128)
  libsqlite3-dev libxxhash-dev
  # SHA-256 model digests for Ollama's /api/tags (libcrypto)
  libssl-dev
  # HTTPS tests: the end-to-end tests make their certificates with the openssl tool
  openssl
  # image pipelines: decode (JPEG/PNG/BMP/WebP), resize, colour conversion
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  # KServe v2 over gRPC: gRPC C++ and its protoc plugin; the end-to-end tests'
  # client (python3-grpcio: generic calls on messages protoc generates, so no
  # python3-grpc-tools)
  libgrpc++-dev protobuf-compiler-grpc python3-grpcio
  # promtool checks the live /metrics output in the end-to-end tests
  prometheus
  # sentiment example: the Bing opinion lexicon (tidytext::sentiments) and
  # Jane Austen's novels (janeaustenr, a dependency), exported with Rscript
  r-cran-tidytext
  # issue 5 peer: Celery + Redis job path (broker and result backend); no
  # conflict with libboost1.81-dev (checked with apt-get install -s)
  python3-celery python3-redis redis-server
  # compressed HTTP bodies: Content-Encoding gzip/deflate, Accept-Encoding
  zlib1g-dev
  # scale-out on Redis (--redis): the client library; the multi-replica
  # end-to-end tests put haproxy in front of the replicas and validate the
  # deployment YAML with python3-yaml
  libhiredis-dev haproxy python3-yaml
  # the /docs page's end-to-end test: headless Chromium driven over WebDriver
  chromium chromium-driver
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
  if [ $updated -eq 0 ]; then $SUDO apt-get update -q; updated=1; fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  apt_update
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js and npm install the client libraries the end-to-end tests drive
# the server with (openai, ollama). The machines come with Node.js 20; a
# machine without it gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
  apt_update
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi

# scikit-learn's digits data set (1797 8x8 images), taken from Debian's
# python3-sklearn package without installing it (see the note above).
DATA_DIR=${INFERD_DEPS_DATA:-/var/lib/inferd-deps}
digits="$DATA_DIR/sklearn/digits.csv.gz"
if [ ! -s "$digits" ]; then
  apt_update
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt's download sandbox user must be able to write here
  (cd "$tmp" && apt-get download -q python3-sklearn >/dev/null)
  dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  src=$(find "$tmp/x" -name digits.csv.gz | head -n 1)
  [ -n "$src" ] || { echo "install-deps: digits.csv.gz not found in python3-sklearn" >&2; exit 1; }
  $SUDO mkdir -p "$DATA_DIR/sklearn"
  $SUDO cp "$src" "$digits"
  rm -rf "$tmp"
  echo "install-deps: digits data set at $digits"
fi
