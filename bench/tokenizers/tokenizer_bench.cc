// Single-thread encode throughput of inferd's tokenizer: encodes every text
// of a corpus (tests/tokenizers/reference/corpus.json layout: {"texts": []})
// one by one, like a server handling requests, for at least --seconds, and
// prints MB/s and tokens/s as one JSON line.
//
//   inferd_tokenizers_bench <tokenizer.json> <corpus.json> [seconds]

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "boost/json.hpp"
#include "text/tokenizer.h"

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
              << " <tokenizer.json> <corpus.json> [seconds]\n";
    return 2;
  }
  double seconds = argc > 3 ? std::stod(argv[3]) : 3.0;
  auto tokenizer =
      inferd::text::Tokenizer::FromFile(argv[1]);
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
    texts.emplace_back(t.as_string());
    bytes += texts.back().size();
  }
  using Clock = std::chrono::steady_clock;
  auto pass = [&]() -> size_t {
    size_t tokens = 0;
    for (const std::string& text : texts) {
      auto e = (*tokenizer)->Encode(text);
      if (!e.ok()) {
        std::cerr << e.status() << "\n";
        std::exit(1);
      }
      tokens += e->size();
    }
    return tokens;
  };
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  };
  pass();  // warm-up
  size_t passes = 0, tokens = 0;
  double cpu_start = cpu_now();
  auto start = Clock::now();
  double elapsed = 0;
  do {
    tokens += pass();
    ++passes;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  double cpu = cpu_now() - cpu_start;
  // Wall-clock rates, and rates per CPU-second (steadier on a busy machine).
  std::printf(
      "{\"impl\": \"inferd\", \"texts\": %zu, \"bytes\": %zu, "
      "\"passes\": %zu, \"seconds\": %.3f, \"cpu_seconds\": %.3f, "
      "\"mb_per_s\": %.2f, \"tokens_per_s\": %.0f, "
      "\"mb_per_cpu_s\": %.2f, \"tokens_per_cpu_s\": %.0f}\n",
      texts.size(), bytes, passes, elapsed, cpu,
      static_cast<double>(bytes) * passes / elapsed / 1e6,
      static_cast<double>(tokens) / elapsed,
      static_cast<double>(bytes) * passes / cpu / 1e6,
      static_cast<double>(tokens) / cpu);
  return 0;
}
