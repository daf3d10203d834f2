#include "text/chat_template.h"

#include <utility>

#include "common/status_macros.h"
#include "text/jinja_ast.h"
#include "text/jinja_interpreter.h"
#include "text/jinja_parser.h"
#include "text/jinja_value.h"

namespace inferd {

struct ChatTemplate::Parsed {
  jinja::Body body;
  std::string source;
};

absl::StatusOr<ChatTemplate> ChatTemplate::Parse(std::string_view source) {
  return Parse(source, Options());
}

absl::StatusOr<ChatTemplate> ChatTemplate::Parse(std::string_view source,
                                                 Options options) {
  jinja::LexerOptions lexer_options;
  lexer_options.trim_blocks = options.trim_blocks;
  lexer_options.lstrip_blocks = options.lstrip_blocks;
  INFERD_ASSIGN_OR_RETURN(jinja::Body body,
                          jinja::ParseTemplate(source, lexer_options));
  auto parsed = std::make_shared<Parsed>();
  parsed->body = std::move(body);
  parsed->source = std::string(source);
  return ChatTemplate(std::move(parsed), std::move(options));
}

const std::string& ChatTemplate::source() const { return parsed_->source; }

absl::StatusOr<std::string> ChatTemplate::Render(
    const boost::json::object& context) const {
  jinja::Dict variables;
  for (const auto& kv : context) {
    variables.Set(std::string(kv.key()), jinja::Value::FromJson(kv.value()));
  }
  jinja::RenderEnv env;
  env.now = options_.clock != nullptr ? options_.clock->Now() : absl::Now();
  env.time_zone = options_.time_zone;
  env.max_output_bytes = options_.max_output_bytes;
  return jinja::RenderTemplate(parsed_->body, variables, env);
}

}  // namespace inferd
