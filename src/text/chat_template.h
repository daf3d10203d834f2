#pragma once

// A model's chat template: turns a conversation into the prompt text the
// model was trained on.
//
// GGUF files (`tokenizer.chat_template`) and Hugging Face tokenizer configs
// carry the template as Jinja2 source. No Debian package runs Jinja2 from
// C++, so this module interprets the subset real templates use (see
// jinja_parser.h for the list), in the environment Hugging Face's
// apply_chat_template renders with: trim_blocks and lstrip_blocks on,
// `tojson` as json.dumps(ensure_ascii=False), raise_exception() and
// strftime_now() as globals, break/continue enabled, sandboxed (no list or
// dict mutation). A template that uses anything else fails in Parse() with
// the construct and its line, so it is never rendered into a wrong prompt.
//
//   auto tmpl = ChatTemplate::Parse(gguf_chat_template);
//   auto prompt = tmpl->Render(context);  // {"messages": [...],
//                                         //  "add_generation_prompt": true,
//                                         //  "bos_token": "<s>", ...}
//
// The context is the template's variables: `messages` (each with role,
// content and optionally tool_calls, tool_call_id, name), `tools`,
// `add_generation_prompt`, `bos_token`, `eos_token` and whatever else the
// caller passes (`enable_thinking`, ...). Hugging Face passes `tools` and
// `documents` as null when absent; callers that want identical prompts do
// the same.
//
// Thread-safe: a ChatTemplate is immutable after Parse(); Render() may run
// concurrently. Copies share the parsed tree.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "common/clock.h"

namespace inferd {

class ChatTemplate {
 public:
  struct Options {
    // Jinja2 environment settings; the defaults are Hugging Face's.
    bool trim_blocks = true;
    bool lstrip_blocks = true;
    // The time strftime_now() formats. Not owned; null means the real clock.
    Clock* clock = nullptr;
    // The zone strftime_now() formats in (Python's datetime.now() is local).
    absl::TimeZone time_zone = absl::LocalTimeZone();
    // Renders whose output would exceed this fail.
    size_t max_output_bytes = 16 << 20;
  };

  // Fails with InvalidArgument naming the line for syntax errors and for
  // constructs the interpreter does not support.
  static absl::StatusOr<ChatTemplate> Parse(std::string_view source);
  static absl::StatusOr<ChatTemplate> Parse(std::string_view source,
                                            Options options);

  // The prompt for `context`. Errors are InvalidArgument: a
  // raise_exception() in the template gives its message as is (these tell
  // the user what is wrong with the conversation, e.g. "Conversation roles
  // must alternate user/assistant/user/assistant/..."); other failures say
  // "chat template line N: ...".
  absl::StatusOr<std::string> Render(const boost::json::object& context) const;

  // The Jinja2 source the template was parsed from.
  const std::string& source() const;

 private:
  struct Parsed;
  ChatTemplate(std::shared_ptr<const Parsed> parsed, Options options)
      : parsed_(std::move(parsed)), options_(std::move(options)) {}

  std::shared_ptr<const Parsed> parsed_;
  Options options_;
};

}  // namespace inferd
