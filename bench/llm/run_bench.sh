#!/usr/bin/env bash
# Generates the random 0.6B llama-shaped benchmark models (d 1536, 20 layers,
# 12 heads / 4 KV heads, FFN 4096, vocab 32000; never committed) and runs the
# LLM speed benchmark with 2 threads: read bandwidth, prompt and decode
# speed, aggregate decode at 1/4/16 sequences.
#   bench/llm/run_bench.sh [BUILD_DIR]   (default: build)
# Environment: TYPES (default "f16 q8_0 q4_0 q4_k_m q6_k"), THREADS (2),
# LLM_BENCH_DIR (bench/results/llm), INFERD_KERNELS (scalar|avx2|avxvnni|avx512).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
OUT=${LLM_BENCH_DIR:-bench/results/llm}
TYPES=${TYPES:-f16 q8_0 q4_0 q4_k_m q6_k}
mkdir -p "$OUT"
make_model=$(find "$BUILD" -name make_llm_bench_model -type f | head -n 1)
bench=$(find "$BUILD" -name llm_bench -type f | head -n 1)
models=()
for t in $TYPES; do
  f="$OUT/bench-0.6b-$t.gguf"
  if [ ! -s "$f" ]; then
    "$make_model" --type "$t" --out "$f" --dim 1536 --layers 20 --heads 12 \
      --kv-heads 4 --ffn 4096 --vocab 32000
  fi
  models+=("$f")
done
lscpu | grep -E 'Model name|^CPU\(s\)|L3' || true
echo "SIMD flags: $(grep -m1 -w flags /proc/cpuinfo | tr ' ' '\n' |
  grep -E '^(avx2|fma|f16c|avx_vnni|avx512.*)$' | tr '\n' ' ')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# OpenBLAS 0.3.21 may not recognise a recent CPU and pick a generic SSE3
# core. The main run forces its AVX2 kernels (Haswell); the auto-detected
# and AVX-512 (SkylakeX) figures are printed for reference.
"$bench" --threads "${THREADS:-2}" --sgemm-only
OPENBLAS_CORETYPE=SkylakeX "$bench" --threads "${THREADS:-2}" --sgemm-only
OPENBLAS_CORETYPE=Haswell "$bench" --threads "${THREADS:-2}" "${models[@]}"
