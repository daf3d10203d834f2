// Single-thread encode throughput of Hugging Face's JavaScript tokenizers
// (@huggingface/tokenizers, installed in tests/tokenizers/node_modules) on the
// same corpus and tokenizer.json as inferd_tokenizers_bench; same JSON line.
//
//   node bench/tokenizers/tokenizer_bench.mjs <tokenizer.json> <corpus.json> [seconds]
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [tokenizerPath, corpusPath, secondsArg] = process.argv.slice(2);
if (!tokenizerPath || !corpusPath) {
  console.error("usage: tokenizer_bench.mjs <tokenizer.json> <corpus.json> [seconds]");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, "../../tests/tokenizers/package.json"));
const module = await import(require.resolve("@huggingface/tokenizers"));
const Tokenizer = module.Tokenizer ?? module.default.Tokenizer;

const seconds = Number(secondsArg ?? 3);
const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerPath, "utf8")), {});
const { texts } = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
const pass = () => {
  let tokens = 0;
  for (const text of texts) tokens += tokenizer.encode(text).ids.length;
  return tokens;
};
pass();  // warm-up (JIT, and the BPE model's word cache)
let passes = 0, tokens = 0;
const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
let elapsed = 0;
do {
  tokens += pass();
  ++passes;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
} while (elapsed < seconds);
// CPU time of the whole process (the JS thread plus V8's GC helpers).
const used = process.cpuUsage(cpuStart);
const cpu = (used.user + used.system) / 1e6;
console.log(JSON.stringify({
  impl: "@huggingface/tokenizers", texts: texts.length, bytes, passes,
  seconds: Number(elapsed.toFixed(3)), cpu_seconds: Number(cpu.toFixed(3)),
  mb_per_s: Number((bytes * passes / elapsed / 1e6).toFixed(2)),
  tokens_per_s: Math.round(tokens / elapsed),
  mb_per_cpu_s: Number((bytes * passes / cpu / 1e6).toFixed(2)),
  tokens_per_cpu_s: Math.round(tokens / cpu),
}));
