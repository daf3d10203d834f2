// Encodes the texts of a llama.cpp-style `.inp` file (texts separated by
// lines "__ggml_vocab_test__") with @huggingface/tokenizers on a
// tokenizer.json, writing the ids (no special tokens added) one line per
// text: the `.out` file the vocabulary tests read. Test tool:
//   node scripts/llm/hf_encode.mjs tokenizer.json X.gguf.inp > X.gguf.out
// (run where node_modules has @huggingface/tokenizers).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "x.js"));
const mod = await import(require.resolve("@huggingface/tokenizers"));
const Tokenizer = mod.Tokenizer ?? mod.default.Tokenizer;
const [jsonPath, inpPath] = process.argv.slice(2);
const json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
const configPath = path.join(path.dirname(jsonPath), "tokenizer_config.json");
const config = fs.existsSync(configPath)
  ? JSON.parse(fs.readFileSync(configPath, "utf8")) : {};
const tok = new Tokenizer(json, config);
const texts = fs.readFileSync(inpPath, "utf8").split("\n__ggml_vocab_test__\n");
if (texts.length && texts[texts.length - 1] === "") texts.pop();
for (const t of texts) {
  const ids = tok.encode(t, { add_special_tokens: false }).ids;
  process.stdout.write(ids.join(" ") + "\n");
}
