// Fuzzes config.pbtxt: the protobuf text-format parse, then the completion
// and validation every loaded config goes through, then the JSON form the
// config route answers with.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/model_config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<inferd::config::ModelConfig> config = inferd::ParseModelConfig(text, "fuzz");
  if (!config.ok()) return 0;
  if (inferd::CompleteModelConfig("fuzz", *config).ok()) {
    (void)inferd::ModelConfigToJson(*config);
  }
  return 0;
}
