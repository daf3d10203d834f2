#!/usr/bin/env bash
# Generates the random ~0.5B llama-shaped benchmark models (F16, Q8_0; never
# committed) and runs the LLM speed benchmark with 2 threads.
#   bench/llm/run_bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
OUT=${LLM_BENCH_DIR:-bench/results/llm}
mkdir -p "$OUT"
make_model=$(find "$BUILD" -name make_llm_bench_model -type f | head -n 1)
bench=$(find "$BUILD" -name llm_bench -type f | head -n 1)
for t in f16 q8_0; do
  if [ ! -s "$OUT/bench-0.5b-$t.gguf" ]; then
    "$make_model" --type "$t" --out "$OUT/bench-0.5b-$t.gguf"
  fi
done
lscpu | grep -E 'Model name|^CPU\(s\)|L3' || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# OpenBLAS 0.3.21 may not recognise a recent CPU and pick a generic SSE3
# core. The main run forces its AVX2 kernels (Haswell: the same instruction
# set as ours); the auto-detected and AVX-512 (SkylakeX) figures are printed
# for reference.
"$bench" --threads "${THREADS:-2}" --sgemm-only
OPENBLAS_CORETYPE=SkylakeX "$bench" --threads "${THREADS:-2}" --sgemm-only
OPENBLAS_CORETYPE=Haswell "$bench" --threads "${THREADS:-2}" \
  "$OUT/bench-0.5b-f16.gguf" "$OUT/bench-0.5b-q8_0.gguf"
