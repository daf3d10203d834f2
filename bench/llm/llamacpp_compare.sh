#!/usr/bin/env bash
# The GGUF engine beside llama.cpp's llama-bench on the same files, same
# threads, same run: prompt processing (128 tokens) and decode (64 tokens)
# per weight type, plus inferd's decode as a share of the read-bandwidth
# bound and its aggregate decode at 1/4/16 sequences.
#
#   bench/llm/llamacpp_compare.sh LLAMA_BENCH_BIN [BUILD_DIR]
#
# llama-bench is built from a llama.cpp snapshot outside this repository
# (docs/benchmarks.md has the commands). On a shared machine, run under the
# project's CPU lock: flock /tmp/cpu.lock bench/llm/llamacpp_compare.sh ...
#
# Files: random-weight 0.6B llama (d 1536, 20 layers, 12 heads / 4 KV heads,
# FFN 4096, vocab 32000) in each of TYPES, and a 0.6B qwen3-shaped file
# (d 1024, 28 layers, 16 heads / 8 KV heads of 128, FFN 3072, per-head q/k
# norms) in QWEN3_TYPES, written by make_llm_bench_model into LLM_BENCH_DIR
# on first use (never committed). For each file llama-bench runs
# `-p 128 -n 64 -r 3 -t THREADS`, then inferd's llm_bench on the same file.
#
# Environment (defaults in brackets):
#   TYPES         llama file types [f16 q8_0 q4_0 q4_k_m q6_k]
#   QWEN3_TYPES   qwen3 file types [q8_0]
#   THREADS       [2]
#   LLM_BENCH_DIR [bench/results/llm]
set -euo pipefail
cd "$(dirname "$0")/../.."
LLAMA_BENCH=${1:?usage: llamacpp_compare.sh LLAMA_BENCH_BIN [BUILD_DIR]}
BUILD=${2:-build}
OUT=${LLM_BENCH_DIR:-bench/results/llm}
TYPES=${TYPES-f16 q8_0 q4_0 q4_k_m q6_k}
QWEN3_TYPES=${QWEN3_TYPES-q8_0}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
make_model=$(find "$BUILD" -name make_llm_bench_model -type f | head -n 1)
bench=$(find "$BUILD" -name llm_bench -type f | head -n 1)
files=()
for t in $TYPES; do
  f="$OUT/bench-0.6b-$t.gguf"
  [ -s "$f" ] || "$make_model" --type "$t" --out "$f" --dim 1536 --layers 20 --heads 12 \
    --kv-heads 4 --ffn 4096 --vocab 32000
  files+=("$f")
done
for t in $QWEN3_TYPES; do
  f="$OUT/bench-qwen3-0.6b-$t.gguf"
  [ -s "$f" ] || "$make_model" --arch qwen3 --type "$t" --out "$f" --dim 1024 --layers 28 \
    --heads 16 --kv-heads 8 --head-dim 128 --ffn 3072 --vocab 32000
  files+=("$f")
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) CPUs;" \
  "SIMD: $(grep -m1 -w flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx_vnni|avx512f|avx512_vnni|avx512_bf16)$' | tr '\n' ' ')"
echo "llama.cpp: $("$LLAMA_BENCH" --version 2>&1 | head -n 1 || true)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "${files[@]}"; do
  name=$(basename "$f" .gguf)
  "$LLAMA_BENCH" -m "$f" -p 128 -n 64 -r 3 -t "$THREADS" -o json > "$WORK/$name.llama.json" \
    2> "$WORK/$name.llama.err" || { cat "$WORK/$name.llama.err" >&2; exit 1; }
  OPENBLAS_CORETYPE=Haswell "$bench" --threads "$THREADS" "$f" > "$WORK/$name.inferd.txt"
  cat "$WORK/$name.inferd.txt" >&2
done

/usr/bin/python3 - "$WORK" "${files[@]}" <<'PY'
import json, os, re, sys
work, files = sys.argv[1], sys.argv[2:]
print("| file | GB read / token | llama.cpp pp128 | inferd pp128 | ratio | llama.cpp tg64 | inferd tg64 | ratio | inferd decode / bound | inferd aggregate 1 / 4 / 16 seq |")
print("|---|---|---|---|---|---|---|---|---|---|")
for f in files:
    name = os.path.basename(f)[:-5]
    runs = json.load(open(os.path.join(work, name + ".llama.json")))
    pp = next(r for r in runs if r["n_prompt"] > 0 and r["n_gen"] == 0)
    tg = next(r for r in runs if r["n_gen"] > 0 and r["n_prompt"] == 0)
    text = open(os.path.join(work, name + ".inferd.txt")).read()
    gb = float(re.search(r"([\d.]+) GB of weights read per token", text).group(1))
    ipp = float(re.search(r"prompt \(128 tokens\): ([\d.]+) tokens/s", text).group(1))
    itg = float(re.search(r"decode \(1 sequence, 64 tokens\): ([\d.]+) tokens/s", text).group(1))
    share = re.search(r"\((\d+)% of bound", text) or re.search(r"(\d+)% of bound", text)
    agg = re.findall(r"aggregate decode, +\d+ sequences: ([\d.]+)", text)
    print("| %s | %.3f | %.1f ± %.1f | %.1f | %.2fx | %.1f ± %.1f | %.1f | %.2fx | %s%% | %s |" % (
        name, gb, pp["avg_ts"], pp["stddev_ts"], ipp, ipp / pp["avg_ts"],
        tg["avg_ts"], tg["stddev_ts"], itg, itg / tg["avg_ts"], share.group(1),
        " / ".join(agg)))
PY
