#include "backend/llm/rope_scaling.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

// The pair index (fractional) that turns `rotations` times over `context`
// positions: from base^(-2i/d) * context = 2 pi * rotations.
double CorrectionDim(double rotations, int64_t dims, double base,
                     int64_t context) {
  return dims * std::log(context / (rotations * 2 * M_PI)) /
         (2 * std::log(base));
}

}  // namespace

absl::StatusOr<RopeScaling> ReadRopeScaling(const GgufFile& f,
                                            const std::string& p,
                                            int64_t context_length) {
  RopeScaling s;
  std::string type = "none";
  if (f.Find(p + "rope.scaling.type") != nullptr) {
    absl::StatusOr<std::string_view> name = f.GetString(p + "rope.scaling.type");
    if (!name.ok()) return name.status();
    type = std::string(*name);
  } else if (f.Find(p + "rope.scale_linear") != nullptr) {
    type = "linear";
  }
  if (type == "none") return s;
  if (type != "linear" && type != "yarn") {
    return Invalid(StrCat("unsupported ", p, "rope.scaling.type \"", type,
                          "\" (supported: none, linear, yarn)"));
  }
  const std::string factor_key = f.Find(p + "rope.scaling.type") != nullptr
                                     ? p + "rope.scaling.factor"
                                     : p + "rope.scale_linear";
  absl::StatusOr<double> factor = f.GetFloat(factor_key);
  if (!factor.ok()) return factor.status();
  if (!(*factor > 0) || *factor > 1e6) {
    return Invalid(StrCat(factor_key, " = ", *factor, " must be positive"));
  }
  s.factor = static_cast<float>(*factor);
  if (type == "linear") {
    s.type = RopeScaling::Type::kLinear;
    return s;
  }
  s.type = RopeScaling::Type::kYarn;
  auto orig = f.GetUintOr(p + "rope.scaling.original_context_length",
                          static_cast<uint64_t>(context_length));
  auto attn = f.GetFloatOr(p + "rope.scaling.attn_factor", 1.0);
  auto fast = f.GetFloatOr(p + "rope.scaling.yarn_beta_fast", 32.0);
  auto slow = f.GetFloatOr(p + "rope.scaling.yarn_beta_slow", 1.0);
  for (const absl::Status& st :
       {orig.status(), attn.status(), fast.status(), slow.status()}) {
    if (!st.ok()) return st;
  }
  if (*orig == 0 || *orig > (1u << 30)) {
    return Invalid(StrCat(p, "rope.scaling.original_context_length = ", *orig,
                          " is out of range"));
  }
  if (!(*fast > *slow) || !(*slow > 0)) {
    return Invalid(StrCat(p, "rope.scaling.yarn_beta_fast (", *fast,
                          ") must exceed yarn_beta_slow (", *slow,
                          ") > 0"));
  }
  s.original_context = static_cast<int64_t>(*orig);
  s.attn_factor = static_cast<float>(*attn);
  s.beta_fast = static_cast<float>(*fast);
  s.beta_slow = static_cast<float>(*slow);
  return s;
}

std::vector<float> RopeInvFreq(int64_t rope_dims, double base,
                               const RopeScaling& s, const float* factors,
                               float* mscale) {
  const int64_t pairs = rope_dims / 2;
  std::vector<float> inv(pairs);
  *mscale = 1.0f;
  double low = 0, high = 0;
  if (s.type == RopeScaling::Type::kYarn) {
    low = std::max(0.0, std::floor(CorrectionDim(s.beta_fast, rope_dims, base,
                                                 s.original_context)));
    high = std::min<double>(
        rope_dims - 1, std::ceil(CorrectionDim(s.beta_slow, rope_dims, base,
                                               s.original_context)));
    *mscale = static_cast<float>(s.attn_factor *
                                 (1.0 + 0.1 * std::log(s.factor)));
  }
  for (int64_t i = 0; i < pairs; ++i) {
    double f = std::pow(base, -2.0 * i / static_cast<double>(rope_dims));
    if (factors != nullptr) f /= factors[i];
    if (s.type == RopeScaling::Type::kLinear) {
      f /= s.factor;
    } else if (s.type == RopeScaling::Type::kYarn) {
      // Share of the original frequency: 1 below `low`, 0 above `high`.
      const double y = (i - low) / std::max(0.001, high - low);
      const double keep = 1.0 - std::clamp(y, 0.0, 1.0);
      f = f / s.factor * (1.0 - keep) + f * keep;
    }
    inv[i] = static_cast<float>(f);
  }
  return inv;
}

}  // namespace inferd::llm
