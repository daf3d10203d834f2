// Fuzzes the chat-template interpreter (a Jinja2 subset): the template a
// GGUF file or a model folder brings is parsed, then rendered with a
// conversation that has a system turn, tools, a tool call and a tool
// result, as the chat routes render it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "boost/json.hpp"
#include "text/chat_template.h"

namespace {

const boost::json::object& Conversation() {
  static const boost::json::object* context = new boost::json::object(boost::json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 24"},
      {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"
  })").as_object());
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  inferd::ChatTemplate::Options options;
  options.max_output_bytes = 1 << 20;
  absl::StatusOr<inferd::ChatTemplate> parsed =
      inferd::ChatTemplate::Parse(source, options);
  if (parsed.ok()) (void)parsed->Render(Conversation());
  return 0;
}
