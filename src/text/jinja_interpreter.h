#pragma once

// Runs a parsed chat template (jinja_parser.h) against a context.
//
// Scoping follows Jinja2: a for-loop body gets a fresh scope per iteration
// (assignments in it do not survive the iteration; namespace() attributes
// do), if-blocks share their enclosing scope, macros see their arguments and
// the template's top-level variables. Globals: raise_exception(msg) fails
// the render with `msg`; strftime_now(fmt) formats `RenderEnv::now` in
// `RenderEnv::time_zone` with C strftime; namespace(), range(), dict().
//
// Thread-safe: RenderTemplate only reads `body`; each call has its own
// state.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "text/jinja_ast.h"
#include "text/jinja_value.h"

namespace inferd::jinja {

struct RenderEnv {
  absl::Time now;
  absl::TimeZone time_zone;
  // Upper bounds that keep a hostile template from exhausting the server.
  size_t max_output_bytes = 16 << 20;
  int max_macro_depth = 64;
};

// The rendered text. Errors are InvalidArgument: a raise_exception call
// gives its message as is; anything else "chat template line N: ...".
absl::StatusOr<std::string> RenderTemplate(const Body& body,
                                           const Dict& context,
                                           const RenderEnv& env);

}  // namespace inferd::jinja
