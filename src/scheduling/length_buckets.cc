#include "scheduling/length_buckets.h"

#include <algorithm>
#include <numeric>

namespace inferd {
namespace {

// Members sorted by length with running row counts: rows[k] is the rows of
// the first k members.
struct Sorted {
  std::vector<size_t> order;
  std::vector<int64_t> lengths;  // by position in `order`
  std::vector<int64_t> rows;     // size order.size() + 1

  int64_t Rows(size_t begin, size_t end) const { return rows[end] - rows[begin]; }
  // Padded work of [begin, end): every row padded to the last (longest).
  int64_t Work(size_t begin, size_t end) const {
    return Rows(begin, end) * lengths[end - 1];
  }
};

struct Cut {
  size_t at = 0;       // 0: no cut pays
  int64_t saving = 0;  // padded work saved
};

// The cut of [begin, end) that saves the most padded work, if it saves at
// least min_saving of it and leaves min_rows on each side.
Cut BestCut(const Sorted& s, size_t begin, size_t end, const LengthSplitOptions& options) {
  const int64_t whole = s.Work(begin, end);
  Cut best;
  for (size_t at = begin + 1; at < end; ++at) {
    if (s.Rows(begin, at) < options.min_rows || s.Rows(at, end) < options.min_rows) {
      continue;
    }
    const int64_t saving = whole - s.Work(begin, at) - s.Work(at, end);
    if (saving > best.saving) best = {at, saving};
  }
  if (static_cast<double>(best.saving) < options.min_saving * static_cast<double>(whole)) {
    return {};
  }
  return best;
}

}  // namespace

std::vector<std::vector<size_t>> SplitByLength(const std::vector<LengthItem>& items,
                                               const LengthSplitOptions& options) {
  std::vector<std::vector<size_t>> groups;
  if (items.empty()) return groups;
  Sorted s;
  s.order.resize(items.size());
  std::iota(s.order.begin(), s.order.end(), size_t{0});
  std::stable_sort(s.order.begin(), s.order.end(), [&items](size_t a, size_t b) {
    return items[a].length < items[b].length;
  });
  s.rows.push_back(0);
  for (size_t i : s.order) {
    s.lengths.push_back(items[i].length);
    s.rows.push_back(s.rows.back() + items[i].rows);
  }
  // Greedy: cut the group whose best cut saves the most, until no cut pays
  // or max_groups is reached. Groups are [begin, end) ranges of s.order.
  std::vector<std::pair<size_t, size_t>> ranges = {{0, items.size()}};
  while (ranges.size() < std::max<size_t>(1, options.max_groups)) {
    size_t chosen = ranges.size();
    Cut best;
    for (size_t g = 0; g < ranges.size(); ++g) {
      const Cut cut = BestCut(s, ranges[g].first, ranges[g].second, options);
      if (cut.at != 0 && cut.saving > best.saving) {
        best = cut;
        chosen = g;
      }
    }
    if (chosen == ranges.size()) break;
    const auto [begin, end] = ranges[chosen];
    ranges[chosen] = {begin, best.at};
    ranges.insert(ranges.begin() + chosen + 1, {best.at, end});
  }
  for (const auto& [begin, end] : ranges) {
    groups.emplace_back(s.order.begin() + begin, s.order.begin() + end);
  }
  return groups;
}

}  // namespace inferd
