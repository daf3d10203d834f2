// Single-thread encode throughput of the GGUF tokenizers: encodes every text
// of a corpus (tests/tokenizers/reference/corpus.json layout: {"texts": []})
// one by one, like a server handling prompts, for at least [seconds], and
// prints MB/s and tokens/s as one JSON line; also the vocabulary load time.
// With --ids instead of seconds it prints each text's token ids, one line per
// text, to compare two builds' encodings.
//
//   gguf_tokenizer_bench <model-or-vocab.gguf> <corpus.json> [seconds|--ids]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/gguf_file.h"
#include "backend/llm/tokenizer_loader.h"
#include "boost/json.hpp"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0]
              << " <vocab.gguf> <corpus.json> [seconds]\n";
    return 2;
  }
  const bool print_ids = argc > 3 && std::string(argv[3]) == "--ids";
  const double seconds = argc > 3 && !print_ids ? std::stod(argv[3]) : 3.0;
  auto file = inferd::llm::GgufFile::Open(argv[1]);
  if (!file.ok()) {
    std::cerr << file.status() << "\n";
    return 1;
  }
  using Clock = std::chrono::steady_clock;
  const auto load_start = Clock::now();
  auto tokenizer = inferd::llm::LoadTokenizer(**file);
  const double load_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - load_start)
          .count();
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status() << "\n";
    return 1;
  }
  boost::system::error_code ec;
  boost::json::value corpus = boost::json::parse(ReadFile(argv[2]), ec);
  if (ec || !corpus.is_object() || !corpus.as_object().contains("texts")) {
    std::cerr << argv[2] << ": not a {\"texts\": [...]} file\n";
    return 1;
  }
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (const auto& t : corpus.as_object().at("texts").as_array()) {
    if (!t.is_string()) continue;
    texts.emplace_back(t.get_string());
    bytes += texts.back().size();
  }
  if (print_ids) {
    for (const std::string& text : texts) {
      for (int32_t id : (*tokenizer)->Encode(text, false, false)) {
        std::printf("%d ", id);
      }
      std::printf("\n");
    }
    return 0;
  }
  auto pass = [&]() -> size_t {
    size_t tokens = 0;
    for (const std::string& text : texts) {
      tokens += (*tokenizer)->Encode(text, false, false).size();
    }
    return tokens;
  };
  pass();  // warm-up
  size_t passes = 0, tokens = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    tokens += pass();
    ++passes;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  std::printf(
      "{\"impl\": \"inferd-gguf\", \"vocab\": \"%s\", \"load_ms\": %.1f, "
      "\"mb_per_s\": %.2f, \"tokens_per_s\": %.0f, \"tokens_per_pass\": %zu}\n",
      argv[1], load_ms, passes * bytes / elapsed / 1e6, tokens / elapsed,
      tokens / passes);
  return 0;
}
