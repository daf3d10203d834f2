#pragma once

// The prompt of a chat request: the conversation rendered with the model's
// chat template, as Hugging Face's apply_chat_template does it (messages,
// tools, add_generation_prompt, bos_token, eos_token and the request's extra
// template variables), then tokenized with the model's special tokens
// parsed, and BOS added only when the rendered text does not already start
// with it.
//
// Stateless; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "repository/model_version.h"
#include "serving/generate_call.h"

namespace inferd {

// The rendered prompt text of `input.messages` (which must be set).
// InvalidArgument when the model has no chat template or the template
// refuses the conversation (its raise_exception message).
absl::StatusOr<std::string> RenderChatPrompt(const ModelVersion& model, const GenerateInput& input);

// Token ids of a prompt text for `model`: special tokens are parsed; BOS is
// added when the vocabulary asks for it and the text does not start with it.
std::vector<int32_t> TokenizePrompt(const ModelVersion& model, const std::string& text);

}  // namespace inferd
