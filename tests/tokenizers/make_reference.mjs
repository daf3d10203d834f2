// Writes reference encodings from Hugging Face's JavaScript tokenizers
// (@huggingface/tokenizers) for the C++ tokenizers_reference test:
//   reference/corpus.json       the texts: every fortune of Debian's
//                               fortunes-min (fortunes, literature, riddles)
//                               and each line of corpus_extra.txt
//   reference/<name>.json       per tokenizer in data/: ids for every text
//                               (with special tokens), for pairs of extra
//                               lines and for texts without special tokens,
//                               and the decoded text.
// For gpt2, byte offsets are derived from the reference tokens (the package
// reports no offsets): each token's bytes follow the previous token's,
// widened to whole characters, as the Rust tokenizers report them.
//
//   cd tests/tokenizers && npm ci && node make_reference.mjs
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const here = path.dirname(new URL(import.meta.url).pathname);
const FORTUNES = "/usr/share/games/fortunes";

export function loadCorpus() {
  const texts = [];
  for (const f of ["fortunes", "literature", "riddles"]) {
    const raw = fs.readFileSync(path.join(FORTUNES, f), "utf8");
    for (const t of raw.split(/\n%\n/)) if (t.trim().length > 0) texts.push(t);
  }
  const extra = fs.readFileSync(path.join(here, "corpus_extra.txt"), "utf8").split("\n");
  const extraStart = texts.length;
  for (const line of extra) if (line.length > 0) texts.push(line);
  return { texts, extraStart };
}

export function loadTokenizerJson(name) {
  const dir = path.join(here, "data", name);
  const overlay = path.join(dir, "overlay.json");
  if (fs.existsSync(overlay)) {
    const o = JSON.parse(fs.readFileSync(overlay, "utf8"));
    const base = loadTokenizerJson(o.base);
    delete o.base;
    return { ...base, ...o };
  }
  return JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
}

// Byte offsets of byte-level tokens, widened to character boundaries.
function byteLevelOffsets(text, tokens, byteDecoder) {
  const bytes = Buffer.from(text, "utf8");
  const isCont = (i) => i < bytes.length && (bytes[i] & 0xc0) === 0x80;
  const offsets = [];
  let pos = 0;
  for (const t of tokens) {
    const n = [...t].length;  // one alphabet character per byte
    let start = pos, end = pos + n;
    for (const c of t) if (byteDecoder[c] === undefined) throw new Error(`not byte-level: ${t}`);
    while (start > 0 && isCont(start)) --start;
    while (isCont(end)) ++end;
    offsets.push([start, end]);
    pos += n;
  }
  if (pos !== bytes.length) throw new Error(`tokens cover ${pos} of ${bytes.length} bytes`);
  return offsets;
}

function main() {
  const { texts, extraStart } = loadCorpus();
  const outDir = path.join(here, "reference");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "corpus.json"), JSON.stringify({ texts }));
  // Byte-level alphabet, as the GPT-2 vocabulary spells bytes.
  const byteDecoder = {};
  {
    const bs = [];
    for (let b = 33; b <= 126; ++b) bs.push(b);
    for (let b = 161; b <= 172; ++b) bs.push(b);
    for (let b = 174; b <= 255; ++b) bs.push(b);
    let n = 0;
    for (let b = 0; b < 256; ++b) {
      byteDecoder[String.fromCharCode(bs.includes(b) ? b : 256 + n++)] = b;
    }
  }
  const names = fs.readdirSync(path.join(here, "data")).sort();
  for (const name of names) {
    const json = loadTokenizerJson(name);
    const tok = new Tokenizer(json, {});
    const byteLevel = name === "gpt2";
    const pairs = json.post_processor?.type !== "ByteLevel";
    const cases = [];
    const add = (a, b, special) => {
      const enc = tok.encode(texts[a], { text_pair: b < 0 ? null : texts[b],
                                         add_special_tokens: special,
                                         return_token_type_ids: true });
      const c = { a, b, special, ids: enc.ids, type_ids: enc.token_type_ids ?? null };
      c.decoded = enc.ids.length > 0
        ? tok.decode(enc.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false })
        : "";
      if (byteLevel) c.offsets = byteLevelOffsets(texts[a], enc.tokens, byteDecoder);
      cases.push(c);
    };
    for (let i = 0; i < texts.length; ++i) add(i, -1, true);
    for (let i = extraStart; i < texts.length; i += 3) add(i, -1, false);
    if (pairs) for (let i = extraStart; i + 1 < texts.length; i += 2) add(i, i + 1, true);
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ name, cases }));
    const tokens = cases.reduce((s, c) => s + c.ids.length, 0);
    console.log(`${name}: ${cases.length} cases, ${tokens} tokens`);
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) main();
