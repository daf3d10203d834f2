#include "text/encode_options.h"

#include <algorithm>

#include "common/strings.h"

namespace inferd::text {
namespace {

// Tokens [begin, end) of `e` as a new encoding.
Encoding Slice(const Encoding& e, size_t begin, size_t end) {
  Encoding out;
  auto cut = [&](const auto& v, auto* dst) {
    dst->assign(v.begin() + begin, v.begin() + end);
  };
  cut(e.ids, &out.ids);
  cut(e.type_ids, &out.type_ids);
  cut(e.tokens, &out.tokens);
  cut(e.offsets, &out.offsets);
  cut(e.sequence_ids, &out.sequence_ids);
  cut(e.attention_mask, &out.attention_mask);
  cut(e.special_tokens_mask, &out.special_tokens_mask);
  return out;
}

// Keeps `max_len` tokens of `e`; returns the other windows when
// `overflowing` is non-null.
void TruncateOne(Encoding* e, size_t max_len, size_t stride, Side side,
                 std::vector<Encoding>* overflowing) {
  size_t len = e->size();
  if (len <= max_len) return;
  if (max_len == 0) {
    if (overflowing != nullptr) overflowing->push_back(*e);
    *e = Encoding();
    return;
  }
  size_t step = max_len - stride;
  std::vector<std::pair<size_t, size_t>> parts;
  if (side == Side::kRight) {
    for (size_t start = 0;; start += step) {
      size_t stop = std::min(start + max_len, len);
      parts.emplace_back(start, stop);
      if (stop == len) break;
    }
  } else {
    for (size_t stop = len;; stop -= std::min(step, stop)) {
      size_t start = stop > max_len ? stop - max_len : 0;
      parts.emplace_back(start, stop);
      if (start == 0) break;
    }
  }
  if (overflowing != nullptr) {
    for (size_t k = 1; k < parts.size(); ++k) {
      overflowing->push_back(Slice(*e, parts[k].first, parts[k].second));
    }
  }
  *e = Slice(*e, parts[0].first, parts[0].second);
}

}  // namespace

absl::Status Truncate(const TruncationOptions& options, size_t added_tokens,
                      Encoding* a, Encoding* b,
                      std::vector<Encoding>* overflowing) {
  if (options.max_length == 0) return absl::OkStatus();
  if (options.stride >= options.max_length && options.stride > 0) {
    return absl::InvalidArgumentError(
        StrCat("truncation stride (", options.stride,
               ") must be less than max_length (", options.max_length, ")"));
  }
  size_t total = a->size() + (b ? b->size() : 0) + added_tokens;
  if (total <= options.max_length) return absl::OkStatus();
  if (added_tokens > options.max_length) {
    return absl::InvalidArgumentError(
        StrCat("truncation max_length ", options.max_length,
               " leaves no room beside ", added_tokens, " special tokens"));
  }
  size_t budget = options.max_length - added_tokens;
  size_t to_remove = total - options.max_length;
  using S = TruncationOptions::Strategy;
  if (b == nullptr) {
    if (options.strategy == S::kOnlySecond) {
      return absl::InvalidArgumentError(
          "truncation strategy only_second needs a text pair");
    }
    size_t stride = std::min(options.stride, budget > 0 ? budget - 1 : 0);
    TruncateOne(a, budget, stride, options.direction, overflowing);
    return absl::OkStatus();
  }
  if (options.strategy == S::kLongestFirst) {
    size_t n1 = a->size(), n2 = b->size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    if (n1 > budget) {
      n2 = n1;
    } else {
      n2 = std::max(n1, budget - n1);
    }
    if (n1 + n2 > budget) {
      n1 = budget / 2;
      n2 = n1 + budget % 2;
    }
    if (swap) std::swap(n1, n2);
    TruncateOne(a, n1, 0, options.direction, nullptr);
    TruncateOne(b, n2, 0, options.direction, nullptr);
    return absl::OkStatus();
  }
  Encoding* target = options.strategy == S::kOnlyFirst ? a : b;
  if (target->size() <= to_remove) {
    return absl::InvalidArgumentError(StrCat(
        "truncation: the ",
        options.strategy == S::kOnlyFirst ? "first" : "second",
        " sequence has ", target->size(), " tokens, too few to remove ",
        to_remove, " and respect max_length ", options.max_length));
  }
  TruncateOne(target, target->size() - to_remove, 0, options.direction,
              nullptr);
  return absl::OkStatus();
}

namespace {

void PadOne(const PaddingOptions& o, size_t target, Encoding* e) {
  for (Encoding& over : e->overflowing) PadOne(o, target, &over);
  if (e->size() >= target) return;
  size_t n = target - e->size();
  auto pad = [&](auto* v, auto value) {
    if (o.direction == Side::kRight) {
      v->insert(v->end(), n, value);
    } else {
      v->insert(v->begin(), n, value);
    }
  };
  pad(&e->ids, o.pad_id);
  pad(&e->type_ids, o.pad_type_id);
  pad(&e->tokens, o.pad_token);
  pad(&e->offsets, Span{});
  pad(&e->sequence_ids, -1);
  pad(&e->attention_mask, 0);
  pad(&e->special_tokens_mask, 1);
}

}  // namespace

void Pad(const PaddingOptions& options, std::vector<Encoding>* batch) {
  if (options.strategy == PaddingOptions::Strategy::kNone) return;
  size_t target = options.length;
  if (options.strategy == PaddingOptions::Strategy::kBatchLongest) {
    target = 0;
    for (const Encoding& e : *batch) {
      target = std::max(target, e.size());
      for (const Encoding& o : e.overflowing) target = std::max(target, o.size());
    }
  }
  if (options.pad_to_multiple_of > 0 && target % options.pad_to_multiple_of) {
    target += options.pad_to_multiple_of - target % options.pad_to_multiple_of;
  }
  for (Encoding& e : *batch) PadOne(options, target, &e);
}

}  // namespace inferd::text
