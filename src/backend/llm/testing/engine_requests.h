#pragma once

// What the engine tests share: a committed tiny model by file name, and a
// greedy request that ignores end-of-generation tokens.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/llm/engine.h"
#include "gtest/gtest.h"

namespace inferd::llm::testing {

// tests/data/llm/<file>, or null (with a test failure) when it cannot load.
inline std::shared_ptr<const Model> LoadModel(const std::string& file) {
  auto m = Model::Load("tests/data/llm/" + file);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::shared_ptr<const Model>(*std::move(m)) : nullptr;
}

// Greedy, exactly `max_tokens` tokens.
inline GenerationRequest Greedy(std::vector<int32_t> prompt, int max_tokens) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.sampling.temperature = 0;
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

}  // namespace inferd::llm::testing
