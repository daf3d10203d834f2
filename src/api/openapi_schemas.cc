#include "api/openapi_schemas.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "boost/json/parse.hpp"

namespace inferd {
namespace {

boost::json::object Merge() {
  const std::pair<const char*, std::string_view> texts[] = {
      {"KServe", KServeSchemaText()},
      {"OpenAI", OpenAiSchemaText()},
      {"Ollama", OllamaSchemaText()},
      {"server", ServerSchemaText()},
  };
  boost::json::object all;
  for (const auto& [protocol, text] : texts) {
    boost::system::error_code error;
    boost::json::value parsed = boost::json::parse(text, error);
    if (error || !parsed.is_object()) {
      std::fprintf(stderr, "OpenAPI schemas of %s: not a JSON object (%s)\n", protocol,
                   error.message().c_str());
      std::abort();
    }
    for (auto& [name, schema] : parsed.as_object()) {
      if (all.contains(name)) {
        std::fprintf(stderr, "OpenAPI schema \"%s\" of %s is defined twice\n",
                     std::string(name).c_str(), protocol);
        std::abort();
      }
      all.emplace(name, std::move(schema));
    }
  }
  return all;
}

}  // namespace

const boost::json::object& OpenApiSchemas() {
  static const boost::json::object* const schemas = new boost::json::object(Merge());
  return *schemas;
}

}  // namespace inferd
