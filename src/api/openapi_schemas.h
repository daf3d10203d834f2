#pragma once

// The schemas of the request and response bodies the HTTP API speaks, as
// the components of the OpenAPI document (JSON Schema 2020-12, which
// OpenAPI 3.1 uses). Each protocol keeps its own in one file,
// openapi_schemas_<protocol>.cc, as JSON text beside the C++ that parses
// the bodies; references between them are "#/components/schemas/<name>".
//
// The end-to-end test tests/e2e/test_openapi.py validates real answers of
// every route against these, so a schema that disagrees with the code
// fails there. Thread-safe.

#include <string_view>

#include "boost/json/object.hpp"

namespace inferd {

// Every schema by name. Parsed on first use; aborts, naming the protocol,
// if a text is not a JSON object (a bug, caught by any test that builds
// the document) or two protocols define the same name.
const boost::json::object& OpenApiSchemas();

// Each protocol's schemas as JSON text: an object of name -> schema.
std::string_view KServeSchemaText();   // KServe v2, Triton extensions, v1 :predict
std::string_view OpenAiSchemaText();   // OpenAI
std::string_view OllamaSchemaText();   // Ollama
std::string_view ServerSchemaText();   // jobs, /health, errors

}  // namespace inferd
