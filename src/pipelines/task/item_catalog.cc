#include "pipelines/task/item_catalog.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>

#include "absl/strings/match.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

// The id's canonical text: integers in decimal, strings as they are.
std::optional<std::string> IdKey(const json::value& id) {
  if (id.is_int64()) return std::to_string(id.get_int64());
  if (id.is_uint64()) return std::to_string(id.get_uint64());
  if (id.is_string()) return std::string(id.get_string());
  return std::nullopt;
}

// Splits CSV text into rows of fields (RFC 4180: quoted fields may hold
// commas, newlines and doubled quotes). CR before LF is dropped.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text,
                                                                const std::string& name) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
      if (field_started || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      field.clear();
      row.clear();
      field_started = false;
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(StrCat(name, ": unterminated quote on line ", line));
  }
  if (field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

absl::StatusOr<ItemCatalog> ItemCatalog::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat(path, ": cannot read the file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (absl::EndsWith(path, ".json")) return FromJson(text, path);
  if (absl::EndsWith(path, ".csv")) return FromCsv(text, path);
  std::vector<std::string> labels;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    if (!line.empty()) labels.push_back(line);
  }
  if (labels.empty()) return absl::InvalidArgumentError(StrCat(path, ": no labels"));
  return FromLabels(labels);
}

absl::StatusOr<ItemCatalog> ItemCatalog::FromJson(std::string_view text,
                                                  const std::string& name) {
  boost::system::error_code error;
  json::value document = json::parse(json::string_view(text.data(), text.size()), error);
  if (error) {
    return absl::InvalidArgumentError(StrCat(name, ": not valid JSON: ", error.message()));
  }
  if (!document.is_array() || document.get_array().empty()) {
    return absl::InvalidArgumentError(
        StrCat(name, ": expected a non-empty array of items (objects or strings)"));
  }
  ItemCatalog catalog;
  const json::array& array = document.get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    if (array[i].is_string()) {
      catalog.items_.push_back(json::object{{"label", array[i].get_string()}});
    } else if (array[i].is_object()) {
      catalog.items_.push_back(array[i].get_object());
    } else {
      return absl::InvalidArgumentError(
          StrCat(name, ": item ", i, " is neither an object nor a string"));
    }
  }
  catalog.IndexIds("id");
  return catalog;
}

absl::StatusOr<ItemCatalog> ItemCatalog::FromCsv(std::string_view text, const std::string& name) {
  auto rows = ParseCsv(text, name);
  if (!rows.ok()) return rows.status();
  if (rows->size() < 2) {
    return absl::InvalidArgumentError(StrCat(name, ": expected a header row and items"));
  }
  const std::vector<std::string>& header = rows->front();
  std::string id_field;
  for (const std::string& column : header) {
    if (column == "id" || (id_field.empty() && absl::EndsWith(column, "Id"))) id_field = column;
  }
  ItemCatalog catalog;
  for (size_t r = 1; r < rows->size(); ++r) {
    const std::vector<std::string>& row = (*rows)[r];
    if (row.size() != header.size()) {
      return absl::InvalidArgumentError(StrCat(name, ": item ", r - 1, " has ", row.size(),
                                               " fields, the header ", header.size()));
    }
    json::object item;
    for (size_t c = 0; c < header.size(); ++c) item[header[c]] = row[c];
    catalog.items_.push_back(std::move(item));
  }
  if (!id_field.empty()) catalog.IndexIds(id_field);
  return catalog;
}

ItemCatalog ItemCatalog::FromLabels(const std::vector<std::string>& labels) {
  ItemCatalog catalog;
  for (const std::string& label : labels) catalog.items_.push_back(json::object{{"label", label}});
  return catalog;
}

void ItemCatalog::IndexIds(const std::string& field) {
  for (size_t i = 0; i < items_.size(); ++i) {
    const json::value* id = items_[i].if_contains(field);
    if (id == nullptr) continue;
    if (std::optional<std::string> key = IdKey(*id)) by_id_.emplace(*key, i);
  }
}

std::optional<size_t> ItemCatalog::Find(const json::value& id) const {
  std::optional<std::string> key = IdKey(id);
  if (!key) return std::nullopt;
  auto it = by_id_.find(*key);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<size_t, float>> TopK(absl::Span<const float> scores, size_t k,
                                           const std::vector<bool>& excluded) {
  std::vector<size_t> order;
  order.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i < excluded.size() && excluded[i]) continue;
    order.push_back(i);
  }
  k = std::min(k, order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](size_t a, size_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  std::vector<std::pair<size_t, float>> top;
  top.reserve(k);
  for (size_t i = 0; i < k; ++i) top.emplace_back(order[i], scores[order[i]]);
  return top;
}

}  // namespace inferd::pipelines
