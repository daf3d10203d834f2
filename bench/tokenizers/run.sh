#!/usr/bin/env bash
# Tokenizer encode throughput, single thread: inferd vs Hugging Face's
# JavaScript @huggingface/tokenizers, same corpus and tokenizer.json, same run
# (interleaved). Prints one JSON line per implementation and tokenizer.
#
#   bench/tokenizers/run.sh [seconds per measurement] [tokenizer names...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gpt2 wordpiece unigram)

ninja -C build inferd_tokenizers_bench >/dev/null
[ -d tests/tokenizers/node_modules ] || (cd tests/tokenizers && npm ci --no-audit --no-fund)
corpus=tests/tokenizers/reference/corpus.json
echo "# $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); node $(node --version)"
for name in "${names[@]}"; do
  tokenizer=tests/tokenizers/data/$name/tokenizer.json
  echo "# $name"
  node bench/tokenizers/tokenizer_bench.mjs "$tokenizer" "$corpus" "$seconds"
  build/inferd_tokenizers_bench "$tokenizer" "$corpus" "$seconds"
done
