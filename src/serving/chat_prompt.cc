#include "serving/chat_prompt.h"

#include "absl/strings/match.h"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;

std::string TokenText(const text::GgufTokenizer& tokenizer, int32_t id) {
  return id >= 0 && id < tokenizer.vocab_size() ? tokenizer.token_text(id) : std::string();
}

}  // namespace

absl::StatusOr<std::string> RenderChatPrompt(const ModelVersion& model, const GenerateInput& input) {
  const ChatTemplate* chat_template = model.chat_template();
  if (chat_template == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("messages: model \"", model.name(),
               "\" has no chat template (its GGUF has no tokenizer.chat_template and its config "
               "names no chat_template file); send a prompt to /v1/completions instead"));
  }
  const text::GgufTokenizer& tokenizer = model.generator()->model().tokenizer();
  json::object context = input.template_kwargs;
  context["messages"] = *input.messages;
  context["tools"] = input.tools;
  context["add_generation_prompt"] = true;
  context["bos_token"] = TokenText(tokenizer, tokenizer.bos());
  context["eos_token"] = TokenText(tokenizer, tokenizer.eos());
  absl::StatusOr<std::string> prompt = chat_template->Render(context);
  if (!prompt.ok()) {
    return absl::InvalidArgumentError(StrCat("messages: ", prompt.status().message()));
  }
  return prompt;
}

std::vector<int32_t> TokenizePrompt(const ModelVersion& model, const std::string& text) {
  const text::GgufTokenizer& tokenizer = model.generator()->model().tokenizer();
  const std::string bos = TokenText(tokenizer, tokenizer.bos());
  const bool has_bos = !bos.empty() && absl::StartsWith(text, bos);
  return tokenizer.Encode(text, !has_bos, /*parse_special=*/true);
}

}  // namespace inferd
