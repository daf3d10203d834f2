#include "pipelines/task/entity_grouping.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace inferd::pipelines {
namespace {

// A token or a word with its chosen label.
struct Scored {
  size_t label = 0;
  double score = 0;
  int64_t index = 0;
  text::Span span;
};

size_t ArgMax(const std::vector<float>& values) {
  return static_cast<size_t>(std::max_element(values.begin(), values.end()) -
                             values.begin());
}

// (is "B", tag): "B-PER" -> (true, "PER"), "I-PER" -> (false, "PER"),
// "O" -> (false, "O"), as Hugging Face's get_tag.
std::pair<bool, std::string> Tag(const std::string& label) {
  if (label.rfind("B-", 0) == 0) return {true, label.substr(2)};
  if (label.rfind("I-", 0) == 0) return {false, label.substr(2)};
  return {false, label};
}

Scored ScoreToken(const TokenScores& token) {
  const size_t best = ArgMax(token.probabilities);
  return {best, token.probabilities[best], token.index, token.span};
}

// One word from tokens [begin, end).
Scored ScoreWord(const std::vector<TokenScores>& tokens, size_t begin, size_t end,
                 Aggregation aggregation) {
  Scored word;
  word.index = tokens[begin].index;
  word.span = {tokens[begin].span.start, tokens[end - 1].span.end};
  switch (aggregation) {
    case Aggregation::kMax: {
      size_t best_token = begin;
      float best = -1;
      for (size_t t = begin; t < end; ++t) {
        const float top = *std::max_element(tokens[t].probabilities.begin(),
                                            tokens[t].probabilities.end());
        if (top > best) {
          best = top;
          best_token = t;
        }
      }
      const Scored token = ScoreToken(tokens[best_token]);
      word.label = token.label;
      word.score = token.score;
      break;
    }
    case Aggregation::kAverage: {
      std::vector<float> mean(tokens[begin].probabilities.size(), 0.0f);
      for (size_t t = begin; t < end; ++t) {
        for (size_t l = 0; l < mean.size(); ++l) mean[l] += tokens[t].probabilities[l];
      }
      for (float& m : mean) m /= static_cast<float>(end - begin);
      word.label = ArgMax(mean);
      word.score = mean[word.label];
      break;
    }
    default: {  // kFirst
      const Scored token = ScoreToken(tokens[begin]);
      word.label = token.label;
      word.score = token.score;
      break;
    }
  }
  return word;
}

Entity MakeGroup(const std::vector<Scored>& members, const std::vector<std::string>& labels) {
  Entity group;
  group.label = Tag(labels[members.front().label]).second;
  double sum = 0;
  for (const Scored& m : members) sum += m.score;
  group.score = sum / members.size();
  group.span = {members.front().span.start, members.back().span.end};
  return group;
}

bool Ignored(const std::string& label, const std::vector<std::string>& ignore) {
  return std::find(ignore.begin(), ignore.end(), label) != ignore.end();
}

}  // namespace

absl::StatusOr<Aggregation> ParseAggregation(const std::string& name) {
  if (name == "none") return Aggregation::kNone;
  if (name == "simple") return Aggregation::kSimple;
  if (name == "first") return Aggregation::kFirst;
  if (name == "average") return Aggregation::kAverage;
  if (name == "max") return Aggregation::kMax;
  return absl::InvalidArgumentError(StrCat(
      "aggregation_strategy \"", name, "\" is not one of none, simple, first, average, max"));
}

absl::StatusOr<std::vector<Entity>> GroupEntities(const std::vector<TokenScores>& tokens,
                                                  const std::vector<std::string>& labels,
                                                  Aggregation aggregation,
                                                  const std::vector<std::string>& ignore) {
  for (const TokenScores& token : tokens) {
    if (token.probabilities.size() != labels.size() || labels.empty()) {
      return absl::InvalidArgumentError(StrCat("token ", token.index, " has ",
                                               token.probabilities.size(),
                                               " scores for ", labels.size(), " labels"));
    }
  }
  std::vector<Scored> scored;
  if (aggregation == Aggregation::kNone || aggregation == Aggregation::kSimple) {
    for (const TokenScores& token : tokens) scored.push_back(ScoreToken(token));
  } else {
    size_t begin = 0;
    for (size_t t = 1; t <= tokens.size(); ++t) {
      if (t == tokens.size() || !tokens[t].subword) {
        if (t > begin) scored.push_back(ScoreWord(tokens, begin, t, aggregation));
        begin = t;
      }
    }
  }

  std::vector<Entity> out;
  if (aggregation == Aggregation::kNone) {
    for (const Scored& s : scored) {
      if (Ignored(labels[s.label], ignore)) continue;
      out.push_back({labels[s.label], s.score, s.index, s.span});
    }
    return out;
  }
  std::vector<Scored> members;
  auto flush = [&] {
    if (members.empty()) return;
    Entity group = MakeGroup(members, labels);
    if (!Ignored(group.label, ignore)) out.push_back(std::move(group));
    members.clear();
  };
  for (const Scored& s : scored) {
    if (!members.empty()) {
      const auto [begins, tag] = Tag(labels[s.label]);
      const std::string last_tag = Tag(labels[members.back().label]).second;
      if (begins || tag != last_tag) flush();
    }
    members.push_back(s);
  }
  flush();
  return out;
}

std::vector<float> Softmax(const float* logits, size_t count) {
  std::vector<float> out(count);
  if (count == 0) return out;
  const float top = *std::max_element(logits, logits + count);
  double sum = 0;
  std::vector<double> exps(count);
  for (size_t i = 0; i < count; ++i) sum += (exps[i] = std::exp(double(logits[i]) - top));
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(exps[i] / sum);
  return out;
}

}  // namespace inferd::pipelines
