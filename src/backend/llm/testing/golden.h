#pragma once

// Reads the golden files written by scripts/llm/make_test_models.py (for
// tests only): per prompt, its token ids, the reference last-position logits
// and the reference greedy continuation; and tokenizer expectations.

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace inferd::llm::testing_util {

struct Golden {
  std::vector<int32_t> prompt;
  std::vector<float> logits;
  std::vector<int32_t> greedy;
};

template <typename T>
std::vector<T> ReadList(std::istringstream& in) {
  size_t n = 0;
  in >> n;
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) in >> v[i];
  return v;
}

inline std::vector<Golden> ReadGoldens(const std::string& path) {
  std::ifstream file(path);
  std::vector<Golden> out;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (tag == "prompt") {
      out.emplace_back();
      out.back().prompt = ReadList<int32_t>(in);
    } else if (tag == "logits" && !out.empty()) {
      out.back().logits = ReadList<float>(in);
    } else if (tag == "greedy" && !out.empty()) {
      out.back().greedy = ReadList<int32_t>(in);
    }
  }
  return out;
}

// `<hex utf-8 text or -> <ids...>` lines.
inline std::vector<std::pair<std::string, std::vector<int32_t>>> ReadTokenCases(
    const std::string& path) {
  std::ifstream file(path);
  std::vector<std::pair<std::string, std::vector<int32_t>>> out;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string hex;
    in >> hex;
    std::string text;
    if (hex != "-") {
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        text.push_back(
            static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
    }
    std::vector<int32_t> ids;
    for (int32_t id; in >> id;) ids.push_back(id);
    out.emplace_back(std::move(text), std::move(ids));
  }
  return out;
}

}  // namespace inferd::llm::testing_util
