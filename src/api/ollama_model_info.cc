#include "api/ollama_model_info.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cmath>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "backend/llm/gguf_file.h"
#include "boost/json/array.hpp"
#include "common/strings.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::ollama {
namespace {

namespace json = boost::json;

// llama.cpp's general.file_type values (its LLAMA_FTYPE enumeration), by
// the names Ollama shows as quantization_level.
std::string_view FileTypeName(uint64_t file_type) {
  static const std::map<uint64_t, std::string_view> kNames = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},
      {8, "Q5_0"},    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"},
      {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},
      {18, "Q6_K"},   {32, "BF16"},
  };
  auto it = kNames.find(file_type);
  return it == kNames.end() ? std::string_view() : it->second;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return std::string(64, '0');  // OpenSSL without SHA-256: cannot happen on Debian
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

const llm::GgufFile* GgufOf(const ModelVersion& model) {
  const GenerationScheduler* generator = model.generator();
  return generator != nullptr ? &generator->model().file() : nullptr;
}

// The weight type holding the most values among the matrices, for a file
// that does not say its file_type.
std::string DominantType(const llm::GgufFile& file) {
  std::map<llm::GgmlType, int64_t> values;
  for (const llm::GgufTensor& tensor : file.tensors()) {
    if (tensor.shape.size() >= 2) values[tensor.type] += tensor.num_elements();
  }
  const std::pair<const llm::GgmlType, int64_t>* best = nullptr;
  for (const auto& entry : values) {
    if (best == nullptr || entry.second > best->second) best = &entry;
  }
  return best != nullptr ? llm::TypeName(best->first) : std::string();
}

uint64_t ParameterCount(const llm::GgufFile& file) {
  if (absl::StatusOr<uint64_t> count = file.GetUint("general.parameter_count"); count.ok()) {
    return *count;
  }
  uint64_t total = 0;
  for (const llm::GgufTensor& tensor : file.tensors()) total += tensor.num_elements();
  return total;
}

// A scalar metadata value as JSON; null for arrays.
json::value Scalar(const llm::GgufValue& value) {
  using T = llm::GgufValueType;
  switch (value.type) {
    case T::kUint8: case T::kUint16: case T::kUint32: case T::kUint64:
      return value.u;
    case T::kInt8: case T::kInt16: case T::kInt32: case T::kInt64:
      return value.i;
    case T::kFloat32: case T::kFloat64:
      return std::isfinite(value.f) ? json::value(value.f) : json::value(nullptr);
    case T::kBool:
      return value.b;
    case T::kString:
      return json::string(value.str.data(), value.str.size());
    case T::kArray:
      break;
  }
  return nullptr;
}

std::string Number(double value) { return absl::StrFormat("%.6g", value); }

}  // namespace

std::string HumanCount(uint64_t count) {
  static constexpr std::pair<double, char> kUnits[] = {{1e12, 'T'}, {1e9, 'B'}, {1e6, 'M'},
                                                       {1e3, 'K'}};
  for (const auto& [scale, unit] : kUnits) {
    if (static_cast<double>(count) >= scale) {
      const double n = static_cast<double>(count) / scale;
      return n >= 10 ? absl::StrFormat("%.0f%c", n, unit) : absl::StrFormat("%.1f%c", n, unit);
    }
  }
  return std::to_string(count);
}

std::string Timestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", time, absl::UTCTimeZone());
}

ModelFacts FactsOf(const ModelVersion& model, absl::Time started) {
  ModelFacts facts;
  facts.modified_at = started;
  const llm::GgufFile* file = GgufOf(model);
  if (file == nullptr) {
    facts.format = model.config().platform().empty() ? model.config().backend()
                                                     : model.config().platform();
    if (const auto* task = dynamic_cast<const pipelines::TaskPipeline*>(model.attachment())) {
      facts.family = std::string(task->task());
      facts.embedding = task->task() == "feature-extraction";
    }
    facts.digest = Sha256Hex(StrCat(model.name(), "\n", model.version()));
    return facts;
  }
  facts.format = "gguf";
  facts.completion = true;
  facts.context_length = model.generator()->engine_options().max_context;
  if (absl::StatusOr<std::string_view> arch = file->GetString("general.architecture"); arch.ok()) {
    facts.family = std::string(*arch);
  }
  facts.parameter_size = HumanCount(ParameterCount(*file));
  if (absl::StatusOr<uint64_t> type = file->GetUint("general.file_type"); type.ok()) {
    facts.quantization_level = std::string(FileTypeName(*type));
  }
  if (facts.quantization_level.empty()) facts.quantization_level = DominantType(*file);
  facts.size = static_cast<int64_t>(file->file_size());
  struct stat st;
  int64_t mtime_ns = 0;
  if (::stat(file->path().c_str(), &st) == 0) {
    mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    facts.modified_at = absl::FromUnixNanos(mtime_ns);
  }
  facts.digest = Sha256Hex(StrCat(file->path(), "\n", mtime_ns));
  return facts;
}

json::object DetailsJson(const ModelFacts& facts) {
  json::array families;
  if (!facts.family.empty()) families.push_back(json::string(facts.family));
  return json::object{{"parent_model", ""},
                      {"format", facts.format},
                      {"family", facts.family},
                      {"families", std::move(families)},
                      {"parameter_size", facts.parameter_size},
                      {"quantization_level", facts.quantization_level}};
}

json::array Capabilities(const ModelFacts& facts) {
  json::array out;
  if (facts.completion) out.push_back("completion");
  if (facts.embedding) out.push_back("embedding");
  return out;
}

json::object ModelInfo(const ModelVersion& model) {
  json::object info;
  const llm::GgufFile* file = GgufOf(model);
  if (file == nullptr) return info;
  for (const std::string& key : file->keys()) {
    const llm::GgufValue* value = file->Find(key);
    if (value == nullptr || value->type == llm::GgufValueType::kArray) continue;
    info[key] = Scalar(*value);
  }
  return info;
}

std::string Parameters(const ModelVersion& model) {
  const GenerationScheduler* generator = model.generator();
  if (generator == nullptr) return "";
  const GgufSettings& settings = model.gguf_settings();
  const llm::SamplingParams& sampling = settings.sampling;
  const std::pair<std::string_view, std::string> lines[] = {
      {"num_ctx", std::to_string(generator->engine_options().max_context)},
      {"num_predict", std::to_string(settings.max_tokens)},
      {"temperature", Number(sampling.temperature)},
      {"top_k", std::to_string(sampling.top_k)},
      {"top_p", Number(sampling.top_p)},
      {"min_p", Number(sampling.min_p)},
      {"repeat_penalty", Number(sampling.repeat_penalty)},
  };
  std::string out;
  for (const auto& [name, value] : lines) {
    out += absl::StrFormat("%-30s %s\n", ToAbsl(name), value);
  }
  return out;
}

std::string Template(const ModelVersion& model) {
  const ChatTemplate* chat_template = model.chat_template();
  return chat_template != nullptr ? chat_template->source() : std::string();
}

std::string Modelfile(const ModelVersion& model) {
  std::string out = StrCat("# Modelfile generated by inferd for \"", model.name(), "\"\n");
  const llm::GgufFile* file = GgufOf(model);
  if (file == nullptr) {
    return StrCat(out, "# not a GGUF language model: platform \"",
                  model.config().platform().empty() ? model.config().backend()
                                                    : model.config().platform(),
                  "\"\n");
  }
  out += StrCat("FROM ", file->path(), "\n");
  const std::string source = Template(model);
  if (!source.empty()) out += StrCat("TEMPLATE \"\"\"", source, "\"\"\"\n");
  const std::string parameters = Parameters(model);
  size_t start = 0;
  while (start < parameters.size()) {
    const size_t end = parameters.find('\n', start);
    std::string_view line(parameters.data() + start, end - start);
    const size_t space = line.find(' ');
    const size_t value = line.find_first_not_of(' ', space);
    out += StrCat("PARAMETER ", line.substr(0, space), " ", line.substr(value), "\n");
    start = end + 1;
  }
  return out;
}

}  // namespace inferd::ollama
