#include "tools/bench/completion_requests.h"

#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

// Plain English words, most of them a single token in common vocabularies.
constexpr const char* kWords[] = {
    "the",    "of",     "and",    "to",       "in",      "is",     "was",
    "for",    "that",   "on",     "with",     "as",      "by",     "at",
    "from",   "his",    "her",    "they",     "we",      "you",    "this",
    "which",  "or",     "an",     "were",     "are",     "have",   "had",
    "been",   "one",    "two",    "new",      "first",   "time",   "year",
    "people", "world",  "city",   "water",    "house",   "school", "day",
    "night",  "light",  "green",  "small",    "large",   "old",    "long",
    "great",  "little", "good",   "high",     "place",   "home",   "work",
    "life",   "man",    "woman",  "child",    "hand",    "part",   "book",
    "word",   "river",  "road",   "tree",     "song",    "game",   "story",
    "music",  "town",   "paper",  "table",    "door",    "window", "train",
    "ship",   "field",  "market", "letter",   "morning", "summer", "winter",
    "spring", "north",  "south",  "east",     "west",    "king",   "army",
    "war",    "peace",  "power",  "money",    "food",    "friend", "family",
    "garden", "church", "island", "mountain", "stone",   "fire",   "wind",
    "rain",   "sea",    "sun",    "moon",     "star"};

constexpr uint64_t kSeedStride = 0x9E3779B97F4A7C15ull;  // 2^64 / phi

std::mt19937_64 RequestRng(uint64_t seed, int64_t index) {
  return std::mt19937_64(seed * kSeedStride + static_cast<uint64_t>(index));
}

}  // namespace

absl::StatusOr<CompletionRequests> CompletionRequests::Create(
    CompletionRequestOptions options) {
  if (options.prompt_tokens < 1 || options.prompt_tokens > 1000000) {
    return absl::InvalidArgumentError(
        "--prompt-tokens must be between 1 and 1000000");
  }
  if (options.max_tokens < 1 || options.max_tokens > 1000000) {
    return absl::InvalidArgumentError(
        "--max-tokens must be between 1 and 1000000");
  }
  const bool ids = options.token_id_high != 0 || options.token_id_low != 0;
  if (ids && (options.token_id_low < 0 ||
              options.token_id_high <= options.token_id_low)) {
    return absl::InvalidArgumentError(StrCat(
        "--token-id-range ", options.token_id_low, ":", options.token_id_high,
        ": expected LOW:HIGH with 0 <= LOW < "
        "HIGH"));
  }
  if (ids && options.chat) {
    return absl::InvalidArgumentError(
        "--token-id-range needs --route completions: chat messages are text");
  }
  if (options.words.empty()) {
    options.words.assign(std::begin(kWords), std::end(kWords));
  }
  return CompletionRequests(std::move(options));
}

std::string CompletionRequests::Body(int64_t index, int max_tokens) const {
  const CompletionRequestOptions& o = options_;
  std::mt19937_64 rng = RequestRng(o.seed, index);
  json::object body{{"model", o.model}};
  if (o.token_id_high > o.token_id_low) {
    std::uniform_int_distribution<int64_t> pick(o.token_id_low,
                                                o.token_id_high - 1);
    json::array ids;
    ids.reserve(o.prompt_tokens);
    for (int i = 0; i < o.prompt_tokens; ++i) ids.push_back(pick(rng));
    body["prompt"] = std::move(ids);
  } else {
    std::uniform_int_distribution<size_t> pick(0, o.words.size() - 1);
    std::string text;
    for (int i = 0; i < o.prompt_tokens; ++i) {
      if (i > 0) text += ' ';
      text += o.words[pick(rng)];
    }
    if (o.chat) {
      body["messages"] = json::array{
          json::object{{"role", "user"}, {"content", std::move(text)}}};
    } else {
      body["prompt"] = std::move(text);
    }
  }
  body["max_tokens"] = max_tokens;
  body["temperature"] = 0;
  if (o.ignore_eos) body["ignore_eos"] = true;
  body["stream"] = true;
  body["stream_options"] = json::object{{"include_usage", true}};
  return json::serialize(body);
}

std::string CompletionRequests::description() const {
  const CompletionRequestOptions& o = options_;
  const bool ids = o.token_id_high > o.token_id_low;
  return StrCat(o.chat ? "chat completions" : "completions", ", prompts of ",
                o.prompt_tokens,
                ids ? StrCat(" token ids in [", o.token_id_low, ", ",
                             o.token_id_high, ")")
                    : std::string(" words"),
                ", max_tokens ", o.max_tokens,
                o.ignore_eos ? ", ignore_eos" : "",
                ", temperature 0, streamed");
}

absl::StatusOr<std::vector<std::string>> ReadPromptWords(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        StrCat("--prompt-file \"", path, "\": cannot read it"));
  }
  std::vector<std::string> words;
  std::string word;
  while (in >> word) words.push_back(std::move(word));
  if (words.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--prompt-file \"", path, "\": holds no words"));
  }
  return words;
}

}  // namespace inferd::bench
