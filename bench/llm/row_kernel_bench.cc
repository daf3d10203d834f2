// Decode's row kernels alone: one thread, one kernel set, DotWeightRows of
// ROWS rows of N values against T tokens, in ns per 256 values and token
// (best of the rounds). Few rows stay in L2; many (say 200,000 of 1,536
// values) come from memory as in decode.
//
//   row_kernel_bench [--sets avx2,avxvnni,avx512] [--types q4_0,q8_0,q4_k,q6_k]
//                    [--n 1536] [--rows 200000] [--tokens 1,4,16]
//                    [--rounds 5]
//
// Rows are random values quantised by the project's round-to-nearest
// quantisers (sane scales, no denormals); the activations are one call's,
// named so that the kernels prepare them once, as the engine does.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/ggml_type.h"
#include "backend/llm/kernel_set.h"
#include "backend/llm/kernels.h"
#include "backend/llm/testing/quantize.h"

namespace {

using inferd::llm::BlockQ8Act;
using inferd::llm::GgmlType;
using inferd::llm::KernelSet;

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool TypeNamed(const std::string& name, GgmlType* type) {
  static const struct {
    const char* name;
    GgmlType type;
  } kTypes[] = {{"q4_0", GgmlType::kQ4_0}, {"q8_0", GgmlType::kQ8_0},
                {"q4_k", GgmlType::kQ4_K}, {"q6_k", GgmlType::kQ6_K},
                {"q5_k", GgmlType::kQ5_K}, {"f16", GgmlType::kF16},
                {"bf16", GgmlType::kBF16}};
  for (const auto& t : kTypes) {
    if (name == t.name) {
      *type = t.type;
      return true;
    }
  }
  return false;
}

// ns per 256 values and token, best of `rounds`.
double Measure(const KernelSet& set, GgmlType type, const std::string& rows,
               int64_t row_bytes, int64_t n_rows, const std::vector<float>& x,
               const std::vector<BlockQ8Act>& xq, int64_t n, int64_t tokens,
               int rounds) {
  std::vector<float> out(n_rows * tokens);
  const double values = static_cast<double>(n) * n_rows * tokens;
  const int calls = static_cast<int>(std::max(1.0, 2e9 / values));
  double best = 1e300;
  for (int round = 0; round < rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < calls; ++c) {
      set.dot_weight_rows(type, rows.data(), row_bytes, n_rows, x.data(),
                          xq.data(), n, tokens, out.data(), n_rows,
                          /*xq_id=*/1);
    }
    const double ns = std::chrono::duration<double, std::nano>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    best = std::min(best, ns / calls / (values / 256));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sets = {"avx2", "avxvnni", "avx512"};
  std::vector<std::string> types = {"q4_0", "q8_0", "q4_k", "q6_k"};
  std::vector<std::string> token_counts = {"1", "4", "16"};
  int64_t n = 1536, n_rows = 200000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--sets") {
      sets = Split(value);
    } else if (flag == "--types") {
      types = Split(value);
    } else if (flag == "--tokens") {
      token_counts = Split(value);
    } else if (flag == "--n") {
      n = std::atoll(value.c_str());
    } else if (flag == "--rows") {
      n_rows = std::atoll(value.c_str());
    } else if (flag == "--rounds") {
      rounds = std::atoi(value.c_str());
    } else {
      std::fprintf(stderr, "row_kernel_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (n <= 0 || n % 256 != 0 || n_rows <= 0 || rounds <= 0) {
    std::fprintf(stderr,
                 "row_kernel_bench: --n must be a positive multiple of 256, "
                 "--rows and --rounds positive\n");
    return 2;
  }
  int64_t most_tokens = 1;
  for (const std::string& t : token_counts) {
    const int64_t tokens = std::atoll(t.c_str());
    if (tokens <= 0) {
      std::fprintf(stderr, "row_kernel_bench: --tokens takes positive counts\n");
      return 2;
    }
    most_tokens = std::max(most_tokens, tokens);
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> x(n * most_tokens);
  for (float& v : x) v = normal(rng);
  std::vector<BlockQ8Act> xq(most_tokens * n / 32);
  for (int64_t t = 0; t < most_tokens; ++t) {
    inferd::llm::QuantizeActivations(x.data() + t * n, n,
                                     xq.data() + t * n / 32);
  }
  std::printf("n %lld, rows %lld, ns per 256 values and token (best of %d)\n",
              static_cast<long long>(n), static_cast<long long>(n_rows),
              rounds);
  for (const std::string& type_name : types) {
    GgmlType type;
    if (!TypeNamed(type_name, &type)) {
      std::fprintf(stderr, "row_kernel_bench: unknown type %s\n",
                   type_name.c_str());
      return 2;
    }
    // One random row quantised, repeated: the bytes differ from row to row
    // only in where they lie, which is what memory traffic sees.
    std::vector<float> values(n);
    for (float& v : values) v = normal(rng);
    const std::string one = inferd::llm::Quantize(type, values.data(), n);
    std::string rows;
    rows.reserve(one.size() * n_rows);
    for (int64_t r = 0; r < n_rows; ++r) rows += one;
    for (const std::string& set_name : sets) {
      const KernelSet* set = inferd::llm::FindKernelSet(set_name);
      if (set == nullptr) {
        std::printf("%-6s %-7s not available on this CPU\n", type_name.c_str(),
                    set_name.c_str());
        continue;
      }
      std::printf("%-6s %-7s", type_name.c_str(), set_name.c_str());
      for (const std::string& t : token_counts) {
        const int64_t tokens = std::atoll(t.c_str());
        std::printf("  %lld tokens %6.2f", static_cast<long long>(tokens),
                    Measure(*set, type, rows, static_cast<int64_t>(one.size()),
                            n_rows, x, xq, n, tokens, rounds));
      }
      std::printf("\n");
    }
  }
  return 0;
}
