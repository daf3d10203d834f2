#pragma once

// The OpenAPI 3.1 document of the server's HTTP API, served at
// GET /openapi.json and browsed at /docs.
//
// It is written from the route table, so it cannot drift from what the
// server answers: server/routes.cc adds every route together with its
// OpenApiOperation (summary, tag, bodies), the path parameters come from
// the route's pattern ("{model}" is a path parameter), and who may call
// the route comes from the same route policy the API-key guard applies.
// Bodies name schemas of the components in openapi_schemas.h; Add()
// aborts on a name that is not one of them, so a typo fails every test
// at start-up instead of producing a dangling reference.
//
// Fill with Add(), then Finish() once; json() is read-only and thread-safe
// after that.

#include <string>
#include <string_view>
#include <vector>

#include "boost/json/object.hpp"

namespace inferd {

// A request or response body: a schema of the components by name.
struct OpenApiBody {
  std::string schema;  // component name; empty: no body
  std::string content_type = "application/json";
  // For a stream (text/event-stream, application/x-ndjson): what each
  // event's data or each line holds.
  std::string item_schema;
  // A second media type the same status may answer with: text/event-stream
  // when the body asks for a stream, application/octet-stream for the binary
  // tensor extension; `alternative_item` names what each event, line or the
  // binary header holds. Empty: none.
  std::string alternative_type;
  std::string alternative_item;
};

struct OpenApiQueryParameter {
  std::string name;
  std::string description;
  std::string type = "string";  // JSON Schema type of the value
};

// Another answer a route gives besides its success and errors.
struct OpenApiResponse {
  int status = 200;
  std::string description;
  OpenApiBody body;
};

// What the document says about one route.
struct OpenApiOperation {
  std::string tag;          // groups routes on the page: "KServe v2", "OpenAI", ...
  std::string summary;      // one line
  std::string description;  // optional, Markdown
  OpenApiBody request;      // empty schema: the route reads no body
  bool request_required = true;
  OpenApiBody response;     // the success answer
  int status = 200;         // of the success answer
  std::vector<OpenApiResponse> also;
  std::vector<OpenApiQueryParameter> query;
  // Accepts `Prefer: respond-async` and then answers 202 with the job.
  bool respond_async = false;
  // Creates a job (POST /v1/jobs, or `respond-async`): reads the
  // Idempotency-Key, Job-Priority and Job-Webhook headers.
  bool job_headers = false;
  // Set by the server from its route policy: the API-key scope the route
  // needs when keys are on ("" for an open route), and whether errors come
  // as OpenAI's error object instead of {"error": "..."}.
  std::string scope;
  bool openai_errors = false;
};

class OpenApiDocument {
 public:
  struct Options {
    std::string version;    // the server's version, info.version
    bool api_keys = false;  // routes with a scope need a key
  };
  explicit OpenApiDocument(Options options);

  // Documents the route `method` `pattern` (as added to the route table).
  // Aborts on a schema name that the components do not have, and on a
  // route documented twice.
  void Add(std::string_view method, std::string_view pattern, const OpenApiOperation& operation);

  // Serializes the document; call once, after the last Add().
  void Finish();
  // The document as JSON text; empty before Finish().
  const std::string& json() const { return json_; }

  // Whether `method` `pattern` was documented.
  bool Has(std::string_view method, std::string_view pattern) const;

 private:
  boost::json::object Operation(std::string_view method, std::string_view pattern,
                                const OpenApiOperation& operation) const;

  const Options options_;
  boost::json::object paths_;
  std::vector<std::string> tags_;  // in first-use order
  std::string json_;
};

}  // namespace inferd
