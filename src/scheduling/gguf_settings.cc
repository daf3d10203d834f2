#include "scheduling/gguf_settings.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace inferd {
namespace {

absl::Status Bad(const std::string& key, const std::string& value, const char* rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("parameter \"", key, "\": \"", value, "\" ", rule));
}

// Reads integer parameter `key` into `out` when present; `[lo, hi]` bounds it.
absl::Status ReadInt(const config::ModelConfig& config, const std::string& key,
                     int64_t lo, int64_t hi, int64_t* out) {
  auto it = config.parameters().find(key);
  if (it == config.parameters().end()) return absl::OkStatus();
  const std::string& text = it->second.string_value();
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) return Bad(key, text, "is not an integer");
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(absl::StrCat("parameter \"", key, "\": ", value,
                                                   " must be in [", lo, ", ", hi, "]"));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadFloat(const config::ModelConfig& config, const std::string& key, float* out) {
  auto it = config.parameters().find(key);
  if (it == config.parameters().end()) return absl::OkStatus();
  const std::string& text = it->second.string_value();
  float value;
  if (!absl::SimpleAtof(text, &value) || !std::isfinite(value)) {
    return Bad(key, text, "is not a number");
  }
  *out = value;
  return absl::OkStatus();
}

// Reads boolean parameter `key` ("true" or "false") into `out` when present.
absl::Status ReadBool(const config::ModelConfig& config, const std::string& key, bool* out) {
  auto it = config.parameters().find(key);
  if (it == config.parameters().end()) return absl::OkStatus();
  const std::string& text = it->second.string_value();
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return Bad(key, text, "must be true or false");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GgufSettings> GgufSettingsFromConfig(const config::ModelConfig& config) {
  GgufSettings s;
  int64_t value = 0;
  if (absl::Status st = ReadInt(config, "context_length", 0, 1 << 20, &value); !st.ok()) return st;
  s.engine.max_context = value;
  value = 16;
  if (absl::Status st = ReadInt(config, "max_sequences", 1, 1024, &value); !st.ok()) return st;
  s.engine.max_sequences = value;
  value = s.engine.max_batch_tokens;
  if (absl::Status st = ReadInt(config, "max_batch_tokens", 1, 1 << 16, &value); !st.ok()) {
    return st;
  }
  s.engine.max_batch_tokens = value;
  value = 0;
  if (absl::Status st = ReadInt(config, "kv_cache_bytes", 0, int64_t{1} << 40, &value); !st.ok()) {
    return st;
  }
  s.kv_cache_bytes = value;
  if (auto it = config.parameters().find("kv_cache_type"); it != config.parameters().end()) {
    const std::string& name = it->second.string_value();
    absl::StatusOr<llm::GgmlType> type = llm::KvCache::ParseType(name);
    if (!type.ok()) return Bad("kv_cache_type", name, "must be f16, f32 or q8_0");
    s.engine.kv_type = *type;
  }
  value = s.max_waiting;
  if (absl::Status st = ReadInt(config, "max_waiting", 0, 1 << 20, &value); !st.ok()) return st;
  s.max_waiting = value;
  value = 0;
  if (absl::Status st = ReadInt(config, "threads", 0, 1024, &value); !st.ok()) return st;
  s.engine.threads = static_cast<int>(value);
  value = s.max_tokens;
  if (absl::Status st = ReadInt(config, "max_tokens", 1, 1 << 20, &value); !st.ok()) return st;
  s.max_tokens = static_cast<int32_t>(value);
  value = s.sampling.top_k;
  if (absl::Status st = ReadInt(config, "top_k", 0, 1 << 20, &value); !st.ok()) return st;
  s.sampling.top_k = static_cast<int32_t>(value);
  if (absl::Status st = ReadFloat(config, "temperature", &s.sampling.temperature); !st.ok()) {
    return st;
  }
  if (absl::Status st = ReadFloat(config, "top_p", &s.sampling.top_p); !st.ok()) return st;
  if (absl::Status st = ReadFloat(config, "min_p", &s.sampling.min_p); !st.ok()) return st;
  if (absl::Status st = ReadFloat(config, "repeat_penalty", &s.sampling.repeat_penalty); !st.ok()) {
    return st;
  }
  if (absl::Status st = ReadBool(config, "prefix_cache", &s.engine.prefix_cache); !st.ok()) {
    return st;
  }
  if (auto it = config.parameters().find("chat_template"); it != config.parameters().end()) {
    const std::string& file = it->second.string_value();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return Bad("chat_template", file, "must be the name of a file beside config.pbtxt");
    }
    s.chat_template_file = file;
  }
  value = 0;
  if (absl::Status st = ReadInt(config, "priority_levels", 0, 1000, &value); !st.ok()) return st;
  s.priority_levels = static_cast<uint32_t>(value);
  value = 0;
  if (absl::Status st = ReadInt(config, "default_priority_level", 0, 1000, &value); !st.ok()) {
    return st;
  }
  if (value > std::max<int64_t>(1, s.priority_levels)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter \"default_priority_level\": ", value, " must be in [1, ",
                     std::max<uint32_t>(1, s.priority_levels), "] (priority_levels)"));
  }
  s.default_priority_level = static_cast<uint32_t>(value);
  float timeout = 0;
  if (absl::Status st = ReadFloat(config, "timeout_seconds", &timeout); !st.ok()) return st;
  if (timeout < 0) return Bad("timeout_seconds", std::to_string(timeout), "must be >= 0");
  s.timeout_seconds = timeout;
  if (absl::Status st = llm::ValidateSamplingParams(s.sampling); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", st.message()));
  }
  return s;
}

}  // namespace inferd
