// What constrained decoding costs: the grammar's work per token on a real
// vocabulary, the compile time of a large JSON schema, and decode speed of
// one model with and without a schema in the same run.
//
//   grammar_bench --vocab VOCAB.gguf [--model MODEL.gguf] [--threads 2]
//                 [--tokens 64] [--runs 3]
//
// Per token: the documents below are tokenized with the vocabulary and
// replayed through a fresh GrammarConstraint each (as one request would
// see them: its mask cache starts empty); each step builds the mask
// (AllowedTokens), applies it to a row of logits the way the sampler does,
// and accepts the token. With --model: `runs` alternating greedy requests of
// `tokens` tokens without and with a JSON schema (the engine's own decode
// timings), so both see the same machine state.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backend/llm/engine.h"
#include "backend/llm/gguf_file.h"
#include "backend/llm/model.h"
#include "backend/llm/tokenizer_loader.h"
#include "boost/json/parse.hpp"
#include "common/strings.h"
#include "text/grammar_constraint.h"
#include "text/json_schema_grammar.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace json = boost::json;

constexpr char kSchema[] = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 40},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "email": {"type": "string", "format": "email"},
    "tags": {"type": "array", "items": {"enum": ["admin", "staff", "guest"]}, "maxItems": 3},
    "address": {"type": "object", "properties": {
        "street": {"type": "string"}, "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
      "required": ["street", "city", "zip"], "additionalProperties": false},
    "note": {"type": ["string", "null"]}
  },
  "required": ["name", "age", "email", "tags", "address", "note"],
  "additionalProperties": false
})";

const char* kDocuments[] = {
    R"({"name": "Ada Lovelace", "age": 36, "email": "ada@example.org", "tags": ["admin"], "address": {"street": "12 St James's Square", "city": "London", "zip": "10001"}, "note": "First programmer; wrote the notes on the Analytical Engine."})",
    "{\n  \"name\": \"Grace Hopper\",\n  \"age\": 85,\n  \"email\": \"grace.hopper@navy.example.mil\",\n  \"tags\": [\"staff\", \"guest\"],\n  \"address\": {\n    \"street\": \"1 Compiler Way\",\n    \"city\": \"Arlington\",\n    \"zip\": \"22201\"\n  },\n  \"note\": null\n}",
    R"({"name": "Alan Turing", "age": 41, "email": "alan@bletchley.example.uk", "tags": [], "address": {"street": "Hut 8", "city": "Bletchley", "zip": "90210"}, "note": "Morphogenesis, computability, and a test named after him."})",
    R"({"name": "Edsger W. Dijkstra", "age": 72, "email": "ewd@utexas.example.edu", "tags": ["guest", "staff", "admin"], "address": {"street": "Plataanstraat 5", "city": "Nuenen", "zip": "56710"}, "note": "Go To Statement Considered Harmful."})",
};

struct Options {
  std::string vocab;
  std::string model;
  int threads = 2;
  int tokens = 64;
  int runs = 3;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(1);
}

std::string FiftyPropertySchema() {
  std::string s = R"({"type": "object", "additionalProperties": false, "required": ["p0"], "properties": {)";
  for (int i = 0; i < 50; ++i) {
    const char* types[] = {R"({"type": "string", "maxLength": 64})", R"({"type": "integer", "minimum": 0, "maximum": 9999})",
                           R"({"type": "boolean"})", R"({"type": "array", "items": {"type": "number"}})",
                           R"({"enum": ["low", "medium", "high"]})"};
    s += inferd::StrCat(i ? ", " : "", "\"p", i, "\": ", types[i % 5]);
  }
  return s + "}}";
}

void PerToken(const Options& o) {
  auto file = inferd::llm::GgufFile::Open(o.vocab);
  if (!file.ok()) Die(std::string(file.status().message()));
  auto tokenizer = inferd::llm::LoadTokenizer(**file);
  if (!tokenizer.ok()) Die(std::string(tokenizer.status().message()));
  const inferd::text::GgufTokenizer& tok = **tokenizer;
  const int32_t n_vocab = tok.vocab_size();

  auto t0 = Clock::now();
  std::vector<std::string> bytes(n_vocab);
  for (int32_t id = 0; id < n_vocab; ++id) {
    if (!tok.IsEndOfGeneration(id)) bytes[id] = tok.TokenBytes(id);
  }
  auto trie = inferd::text::TokenTrie::Create(bytes);
  const double trie_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  auto grammar = inferd::text::CompileJsonSchema(json::parse(kSchema));
  if (!grammar.ok()) Die(std::string(grammar.status().message()));

  std::vector<float> logits(n_vocab, 0.5f);
  int64_t tokens = 0, computed = 0, hits = 0;
  double seconds = 0, worst = 0;
  for (const char* doc : kDocuments) {
    const std::vector<int32_t> ids = tok.Encode(doc, false, false);
    inferd::text::GrammarConstraint c(*grammar, trie);
    for (int32_t id : ids) {
      const auto start = Clock::now();
      const std::vector<uint64_t>& mask = c.AllowedTokens();
      if (!((mask[id >> 6] >> (id & 63)) & 1)) Die(inferd::StrCat("token ", id, " refused in: ", doc));
      // What the sampler does with the mask.
      for (int32_t w = 0; w * 64 < n_vocab; ++w) {
        const uint64_t bits = mask[w];
        if (bits == ~uint64_t{0}) continue;
        for (int32_t i = w * 64; i < std::min(n_vocab, (w + 1) * 64); ++i) {
          if (!((bits >> (i & 63)) & 1)) logits[i] = -std::numeric_limits<float>::infinity();
        }
      }
      if (!c.Accept(id)) Die("accept failed");
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      seconds += s;
      worst = std::max(worst, s);
      ++tokens;
      std::fill(logits.begin(), logits.end(), 0.5f);
    }
    if (!c.accepting()) Die(inferd::StrCat("document not accepted: ", doc));
    computed += c.masks_computed();
    hits += c.mask_hits();
  }
  std::printf("vocabulary: %s, %d tokens; trie built in %.1f ms\n", o.vocab.c_str(), n_vocab, trie_ms);
  std::printf("per token (%lld tokens of %zu documents, a fresh constraint each): mean %.1f us, worst %.2f ms; "
              "masks computed %lld, from cache %lld\n",
              static_cast<long long>(tokens), std::size(kDocuments), seconds / tokens * 1e6, worst * 1e3,
              static_cast<long long>(computed), static_cast<long long>(hits));

  const json::value fifty = json::parse(FiftyPropertySchema());
  std::vector<double> compile;
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    auto g = inferd::text::CompileJsonSchema(fifty);
    if (!g.ok()) Die(std::string(g.status().message()));
    compile.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(compile.begin(), compile.end());
  std::printf("compile a 50-property schema: median %.2f ms (of 20)\n", compile[compile.size() / 2]);
}

double DecodeRun(inferd::llm::Engine& engine, const Options& o,
                 std::shared_ptr<const inferd::text::Grammar> grammar, int64_t* generated) {
  inferd::llm::GenerationRequest r;
  r.prompt = engine.model().tokenizer().Encode("Describe the user as JSON:", true, false);
  r.sampling.temperature = 0;
  r.max_tokens = o.tokens;
  r.ignore_eos = true;
  r.grammar = std::move(grammar);
  auto id = engine.Add(std::move(r));
  if (!id.ok()) Die(std::string(id.status().message()));
  std::vector<inferd::llm::StepEvent> events;
  double tps = 0;
  while (engine.active_sequences() > 0) {
    if (!engine.Step(&events).ok()) Die("step failed");
    for (const auto& e : events) {
      if (e.finish != inferd::llm::FinishReason::kNone) {
        tps = e.timings.decode_tokens_per_second();
        *generated = e.timings.generated_tokens;
      }
    }
  }
  return tps;
}

void Decode(const Options& o) {
  auto model = inferd::llm::Model::Load(o.model);
  if (!model.ok()) Die(std::string(model.status().message()));
  std::shared_ptr<const inferd::llm::Model> shared = *std::move(model);
  auto engine = inferd::llm::Engine::Create(shared, {.threads = o.threads, .prefix_cache = false});
  if (!engine.ok()) Die(std::string(engine.status().message()));
  // A schema whose strings are long enough that greedy decoding of a random
  // model does not finish the document before `tokens`.
  auto grammar = inferd::text::CompileJsonSchema(json::parse(kSchema));
  if (!grammar.ok()) Die(std::string(grammar.status().message()));
  std::vector<double> plain, constrained;
  for (int run = 0; run < o.runs; ++run) {
    int64_t n_plain = 0, n_constrained = 0;
    plain.push_back(DecodeRun(**engine, o, nullptr, &n_plain));
    constrained.push_back(DecodeRun(**engine, o, *grammar, &n_constrained));
    std::printf("  run %d: without schema %.2f tok/s (%lld tokens), with schema %.2f tok/s (%lld tokens)\n", run + 1,
                plain.back(), static_cast<long long>(n_plain), constrained.back(),
                static_cast<long long>(n_constrained));
  }
  std::sort(plain.begin(), plain.end());
  std::sort(constrained.begin(), constrained.end());
  const double p = plain[plain.size() / 2], c = constrained[constrained.size() / 2];
  std::printf("decode, median of %d: without schema %.2f tok/s, with schema %.2f tok/s (%.1f%%)\n", o.runs, p, c,
              100 * c / p);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Die(inferd::StrCat(argv[i], " needs a value"));
      return argv[++i];
    };
    if (std::strcmp(argv[i], "--vocab") == 0) {
      o.vocab = value();
    } else if (std::strcmp(argv[i], "--model") == 0) {
      o.model = value();
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      o.threads = std::atoi(value());
    } else if (std::strcmp(argv[i], "--tokens") == 0) {
      o.tokens = std::atoi(value());
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      o.runs = std::atoi(value());
    } else {
      Die(inferd::StrCat("unknown argument ", argv[i]));
    }
  }
  if (o.vocab.empty() && o.model.empty()) Die("usage: grammar_bench --vocab VOCAB.gguf [--model MODEL.gguf]");
  if (!o.vocab.empty()) PerToken(o);
  if (!o.model.empty()) Decode(o);
}
