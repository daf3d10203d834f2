// Builds the project's own small tokenizers for the reference tests,
// deterministically, from Debian's fortunes-min texts:
//   wordpiece/  BERT-style: BertNormalizer, BertPreTokenizer, WordPiece,
//               BertProcessing, WordPiece decoder
//   unigram/    NFKC, Metaspace, Unigram, TemplateProcessing, Metaspace decoder
//   bpe_mixed/  Sequence(NFD, StripAccents, Lowercase, Replace), Sequence(
//               WhitespaceSplit, Punctuation, Digits), character BPE with an
//               end-of-word suffix, RobertaProcessing, BPEDecoder
//   gpt2_split/ the GPT-2 vocabulary behind a Split regex (Llama 3's
//               pattern) and a ByteLevel pre-tokenizer without its regex
// Vocabularies come from simple frequency counts (not a faithful trainer):
// they only need to be realistic enough to exercise every code path.
//
//   node scripts/tokenizers/build_test_tokenizers.mjs tests/tokenizers/data
import fs from "node:fs";
import path from "node:path";

const outDir = process.argv[2];
if (!outDir) {
  console.error("usage: build_test_tokenizers.mjs <data dir>");
  process.exit(2);
}
const FORTUNES = "/usr/share/games/fortunes";
const training = ["fortunes", "literature", "riddles"]
  .map((f) => fs.readFileSync(path.join(FORTUNES, f), "utf8"))
  .join("\n");
const extra = fs.readFileSync(
  new URL("../../tests/tokenizers/corpus_extra.txt", import.meta.url), "utf8");
// Half of the extra lines lend their characters to the alphabets, so the
// other half still meets unknown characters.
const extraLines = extra.split("\n");
const alphabetText = training + "\n" + extraLines.slice(0, extraLines.length / 2).join("\n");

const byCountThenText = ([a, x], [b, y]) => (y - x) || (a < b ? -1 : a > b ? 1 : 0);
const count = (map, key, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
const write = (name, tokenizer) => {
  const file = path.join(outDir, name, "tokenizer.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(tokenizer, null, 1) + "\n");
  console.log(`${file}`);
};
const special = (id, content, extra = {}) => ({
  id, content, single_word: false, lstrip: false, rstrip: false,
  normalized: false, special: true, ...extra,
});

// ---- WordPiece -------------------------------------------------------------
{
  const bertNormalize = (t) => t.toLowerCase().normalize("NFD").replace(/\p{Mn}/gu, "");
  const P = "\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E";
  const words = new Map();
  for (const w of bertNormalize(training).match(new RegExp(`[^\\s${P}]+|[${P}]`, "gu")) ?? []) {
    count(words, w);
  }
  const chars = [...new Set([...bertNormalize(alphabetText)])]
    .filter((c) => !/\s/u.test(c)).sort();
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const seen = new Set(vocab);
  const add = (t) => { if (!seen.has(t)) { seen.add(t); vocab.push(t); } };
  for (const c of chars) add(c);
  for (const c of chars) add("##" + c);
  [...words].filter(([, n]) => n >= 3).sort(byCountThenText).slice(0, 2000)
    .forEach(([w]) => add(w));
  const suffixes = new Map(), prefixes = new Map();
  for (const [w, n] of words) {
    const cs = [...w];
    for (let k = 2; k <= 5 && k < cs.length; ++k) {
      count(suffixes, "##" + cs.slice(cs.length - k).join(""), n);
      count(prefixes, cs.slice(0, k).join(""), n);
    }
  }
  [...suffixes].sort(byCountThenText).slice(0, 600).forEach(([s]) => add(s));
  [...prefixes].sort(byCountThenText).slice(0, 400).forEach(([s]) => add(s));
  write("wordpiece", {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [0, 1, 2, 3, 4].map((i) => special(i, vocab[i])),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true,
                  strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
             max_input_chars_per_word: 100,
             vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
  });
}

// ---- Unigram ---------------------------------------------------------------
{
  const text = training.normalize("NFKC");
  const pieces = new Map();
  let total = 0;
  for (const w of text.split(/\s+/u).filter((x) => x)) {
    const cs = [..."\u2581" + w];
    for (let i = 0; i < cs.length; ++i) {
      for (let k = 1; k <= 6 && i + k <= cs.length; ++k) {
        count(pieces, cs.slice(i, i + k).join(""));
        ++total;
      }
    }
  }
  const chars = [...new Set([...alphabetText.normalize("NFKC")])]
    .filter((c) => !/\s/u.test(c)).sort();
  const chosen = [...pieces].filter(([p, n]) => n >= 4 && [...p].length > 1)
    .sort(byCountThenText).slice(0, 5000);
  const entries = [["<unk>", 0], ["<s>", 0], ["</s>", 0]];
  const seen = new Set(entries.map(([p]) => p));
  for (const [p, n] of chosen) {
    entries.push([p, Math.log(n / total)]);
    seen.add(p);
  }
  for (const c of [...chars, "\u2581"]) {
    if (!seen.has(c)) {
      entries.push([c, Math.log((pieces.get(c) ?? 1) / total) - 2]);
      seen.add(c);
    }
  }
  write("unigram", {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
    normalizer: { type: "NFKC" },
    pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
               { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
             { SpecialToken: { id: "</s>", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } },
             { SpecialToken: { id: "</s>", type_id: 1 } }],
      special_tokens: {
        "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] },
        "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] },
      },
    },
    decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: 0, vocab: entries, byte_fallback: false },
  });
}

// ---- BPE with an end-of-word suffix ---------------------------------------
{
  const normalize = (t) => t.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/\s+/gu, " ");
  const P = "\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E";
  const words = new Map();
  for (const w of normalize(training).match(new RegExp(`[^\\s${P}0-9]+|[${P}]+|[0-9]`, "gu")) ?? []) {
    count(words, w);
  }
  // Each word as symbols, the last carrying "</w>".
  const split = [...words].map(([w, n]) => {
    const cs = [...w];
    cs[cs.length - 1] += "</w>";
    return [cs, n];
  });
  const vocab = ["<unk>", "<s>", "</s>"];
  const seen = new Set(vocab);
  const add = (t) => { if (!seen.has(t)) { seen.add(t); vocab.push(t); } };
  for (const c of [...new Set([...normalize(alphabetText)])].filter((c) => c !== " ").sort()) {
    add(c);
    add(c + "</w>");
  }
  const merges = [];
  for (let m = 0; m < 800; ++m) {
    const pairs = new Map();
    for (const [cs, n] of split) {
      for (let i = 0; i + 1 < cs.length; ++i) count(pairs, cs[i] + " " + cs[i + 1], n);
    }
    if (pairs.size === 0) break;
    const [best] = [...pairs].sort(byCountThenText)[0];
    const [a, b] = best.split(" ");
    merges.push(best);
    add(a + b);
    for (const entry of split) {
      const cs = entry[0], out = [];
      for (let i = 0; i < cs.length; ++i) {
        if (i + 1 < cs.length && cs[i] === a && cs[i + 1] === b) { out.push(a + b); ++i; }
        else out.push(cs[i]);
      }
      entry[0] = out;
    }
  }
  write("bpe_mixed", {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
    normalizer: { type: "Sequence", normalizers: [
      { type: "NFD" }, { type: "StripAccents" }, { type: "Lowercase" },
      { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "WhitespaceSplit" }, { type: "Punctuation", behavior: "Isolated" },
      { type: "Digits", individual_digits: true }] },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 1],
                      trim_offsets: true, add_prefix_space: false },
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null,
             end_of_word_suffix: "</w>", fuse_unk: true, byte_fallback: false,
             vocab: Object.fromEntries(vocab.map((t, i) => [t, i])), merges },
  });
}

// ---- GPT-2 vocabulary behind a Split regex ---------------------------------
{
  // An overlay: the tests apply it to gpt2/tokenizer.json (no second copy of
  // the vocabulary in the repository).
  const overlay = { base: "gpt2", pre_tokenizer: { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex:
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
      behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] } };
  const file = path.join(outDir, "gpt2_split", "overlay.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(overlay, null, 1) + "\n");
  console.log(file);
}
