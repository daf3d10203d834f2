#include "api/openapi_document.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "api/openapi_schemas.h"
#include "boost/json/serialize.hpp"
#include "common/strings.h"

namespace inferd {
namespace json = boost::json;
namespace {

constexpr std::string_view kDescription =
    "inferd serves models over the protocols their clients already speak: KServe v2 "
    "(Open Inference Protocol) with Triton's extensions, KServe v1 `:predict`, the OpenAI "
    "API, the Ollama API, and asynchronous jobs. Errors are `{\"error\": \"...\"}` naming "
    "what is wrong (OpenAI's error object on the OpenAI routes).";

// What each tag groups, in the order the page lists them.
struct TagInfo {
  std::string_view name;
  std::string_view description;
};
constexpr TagInfo kTags[] = {
    {"KServe v2", "Open Inference Protocol: health, metadata and inference"},
    {"Triton extensions", "Generate, statistics, model repository, shared memory, logging, trace"},
    {"KServe v1", "TF Serving style `:predict`; task pipelines answer here"},
    {"OpenAI", "OpenAI-compatible models, chat, completions and embeddings"},
    {"Ollama", "Ollama-compatible generate, chat, embeddings and model routes"},
    {"Jobs", "Asynchronous jobs: submit, poll, stream events, cancel"},
    {"Server", "Summary, Prometheus metrics and this document"},
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json::object Ref(std::string_view schema) {
  return {{"$ref", StrCat("#/components/schemas/", schema)}};
}

void RequireSchema(std::string_view schema, std::string_view method, std::string_view pattern) {
  if (schema.empty() || OpenApiSchemas().contains(schema)) return;
  std::fprintf(stderr, "OpenAPI: route %.*s %.*s names schema \"%.*s\", which is not defined\n",
               static_cast<int>(method.size()), method.data(),
               static_cast<int>(pattern.size()), pattern.data(),
               static_cast<int>(schema.size()), schema.data());
  std::abort();
}

// A media type of a body that is a sequence of `item` (stream events,
// lines, the binary header), described for readers and marked for clients
// (and the end-to-end test) to check each item against.
json::object Media(json::object schema, std::string_view type, std::string_view item) {
  json::object media{{"schema", std::move(schema)}};
  if (item.empty()) return media;
  std::string_view what = "A JSON header of ";  // the binary tensor extension
  if (type == "text/event-stream") {
    what = "Server-Sent Events; the data of each is a ";
  } else if (type == "application/x-ndjson") {
    what = "One JSON object per line, each a ";
  }
  media["schema"].as_object()["description"] = StrCat(what, item);
  media["x-inferd-item-schema"] = Ref(item);
  return media;
}

// The media types of one body: its main type and its alternative.
json::object Content(const OpenApiBody& body) {
  json::object content;
  // Text, HTML and files name a schema too: a string whose description
  // says what it holds.
  content[body.content_type] = Media(Ref(body.schema), body.content_type, body.item_schema);
  if (!body.alternative_type.empty()) {
    content[body.alternative_type] =
        Media({{"type", "string"}}, body.alternative_type, body.alternative_item);
  }
  return content;
}

std::string OperationId(std::string_view method, std::string_view pattern) {
  std::string id = Lower(method);
  bool separator = true;
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (separator) id += '_';
      id += c;
      separator = false;
    } else {
      separator = true;
    }
  }
  return id;
}

// What each path parameter is, for readers and for "Try it out".
json::object PathParameter(std::string_view name) {
  std::string_view description = "";
  std::string_view example = "";
  if (name == "model") {
    description = "Model name, as in the model repository";
    example = "simple";
  } else if (name == "version") {
    description = "Model version: a version folder's number";
    example = "1";
  } else if (name == "id") {
    description = "Job id, as POST /v1/jobs or a 202 answer gave it";
  } else if (name == "region") {
    description = "Shared memory region name";
  } else if (name == "file") {
    description = "File of the API page";
    example = "swagger-ui.css";
  }
  json::object parameter{{"name", name},
                         {"in", "path"},
                         {"required", true},
                         {"description", description},
                         {"schema", {{"type", "string"}}}};
  if (!example.empty()) parameter["example"] = example;
  return parameter;
}

}  // namespace

OpenApiDocument::OpenApiDocument(Options options) : options_(std::move(options)) {}

json::object OpenApiDocument::Operation(std::string_view method, std::string_view pattern,
                                        const OpenApiOperation& operation) const {
  json::object out;
  out["tags"] = json::array{json::string(operation.tag)};
  out["summary"] = operation.summary;
  std::string description = operation.description;
  if (options_.api_keys && !operation.scope.empty()) {
    description = StrCat(description, description.empty() ? "" : "\n\n",
                         "Needs an API key with the `", operation.scope, "` scope.");
  }
  if (!description.empty()) out["description"] = description;
  out["operationId"] = OperationId(method, pattern);

  json::array parameters;
  for (size_t open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    const size_t close = pattern.find('}', open);
    parameters.push_back(PathParameter(pattern.substr(open + 1, close - open - 1)));
  }
  for (const OpenApiQueryParameter& query : operation.query) {
    parameters.push_back({{"name", query.name},
                          {"in", "query"},
                          {"required", false},
                          {"description", query.description},
                          {"schema", {{"type", query.type}}}});
  }
  if (operation.respond_async) {
    parameters.push_back(
        {{"name", "Prefer"},
         {"in", "header"},
         {"required", false},
         {"description", "`respond-async` (RFC 7240): answer 202 with the job at once "
                         "instead of waiting for the result"},
         {"schema", {{"type", "string"}, {"enum", json::array{"respond-async"}}}}});
  }
  if (operation.respond_async || operation.job_headers) {
    const std::string_view when = operation.job_headers ? "" : " (with `respond-async`)";
    parameters.push_back(json::object{
        {"name", "Idempotency-Key"},
        {"in", "header"},
        {"required", false},
        {"description", StrCat("1..255 characters: the same key with the same request gives "
                               "back the same job; with another request it is 422", when)},
        {"schema", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}});
    parameters.push_back(json::object{
        {"name", "Job-Priority"},
        {"in", "header"},
        {"required", false},
        {"description", StrCat("The job's priority (default normal)", when)},
        {"schema", {{"type", "string"}, {"enum", json::array{"high", "normal", "low"}}}}});
    parameters.push_back(json::object{
        {"name", "Job-Webhook"},
        {"in", "header"},
        {"required", false},
        {"description", StrCat("An http(s) URL that receives the final job document by POST",
                               when)},
        {"schema", {{"type", "string"}}}});
  }
  if (!parameters.empty()) out["parameters"] = std::move(parameters);

  if (!operation.request.schema.empty()) {
    out["requestBody"] = {{"required", operation.request_required},
                          {"content", Content(operation.request)}};
  }
  json::object responses;
  json::object success{{"description", operation.summary}};
  if (!operation.response.schema.empty()) success["content"] = Content(operation.response);
  responses[std::to_string(operation.status)] = std::move(success);
  for (const OpenApiResponse& also : operation.also) {
    json::object response{{"description", also.description}};
    if (!also.body.schema.empty()) response["content"] = Content(also.body);
    responses[std::to_string(also.status)] = std::move(response);
  }
  if (operation.respond_async) {
    responses["202"] = {
        {"description", "Accepted as a job (`Prefer: respond-async`); Location names it"},
        {"headers", {{"Location", {{"description", "/v1/jobs/{id}"}, {"schema", {{"type", "string"}}}}}}},
        {"content", {{"application/json", {{"schema", Ref("JobAccepted")}}}}}};
  }
  responses["default"] = {
      {"description", "An error: 4xx for what the request got wrong, 503 while a model or the "
                      "server is not ready"},
      {"content",
       {{"application/json",
         {{"schema", Ref(operation.openai_errors ? "OpenAiError" : "Error")}}}}}};
  out["responses"] = std::move(responses);

  if (options_.api_keys) {
    out["security"] = operation.scope.empty()
                          ? json::array{}
                          : json::array{json::object{{"bearer", json::array{}}},
                                        json::object{{"apiKey", json::array{}}}};
  }
  return out;
}

void OpenApiDocument::Add(std::string_view method, std::string_view pattern,
                          const OpenApiOperation& operation) {
  RequireSchema(operation.request.schema, method, pattern);
  RequireSchema(operation.request.item_schema, method, pattern);
  RequireSchema(operation.request.alternative_item, method, pattern);
  RequireSchema(operation.response.schema, method, pattern);
  RequireSchema(operation.response.item_schema, method, pattern);
  RequireSchema(operation.response.alternative_item, method, pattern);
  for (const OpenApiResponse& also : operation.also) RequireSchema(also.body.schema, method, pattern);
  const std::string verb = Lower(method);
  json::value& slot = paths_[pattern];
  if (!slot.is_object()) slot.emplace_object();
  json::object& item = slot.as_object();
  if (item.contains(verb)) {
    std::fprintf(stderr, "OpenAPI: route %.*s %.*s documented twice\n",
                 static_cast<int>(method.size()), method.data(),
                 static_cast<int>(pattern.size()), pattern.data());
    std::abort();
  }
  item[verb] = Operation(method, pattern, operation);
  if (std::find(tags_.begin(), tags_.end(), operation.tag) == tags_.end()) {
    tags_.push_back(operation.tag);
  }
}

bool OpenApiDocument::Has(std::string_view method, std::string_view pattern) const {
  const json::value* item = paths_.if_contains(pattern);
  return item != nullptr && item->as_object().contains(Lower(method));
}

void OpenApiDocument::Finish() {
  json::array tags;
  for (const TagInfo& tag : kTags) {
    if (std::find(tags_.begin(), tags_.end(), tag.name) == tags_.end()) continue;
    tags.push_back({{"name", tag.name}, {"description", tag.description}});
  }
  for (const std::string& tag : tags_) {
    const bool known = std::any_of(std::begin(kTags), std::end(kTags),
                                   [&tag](const TagInfo& info) { return info.name == tag; });
    if (!known) tags.push_back(json::object{{"name", tag}});
  }
  json::object components{{"schemas", OpenApiSchemas()}};
  if (options_.api_keys) {
    components["securitySchemes"] = {
        {"bearer", {{"type", "http"}, {"scheme", "bearer"},
                    {"description", "An API key as `Authorization: Bearer <key>`"}}},
        {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"},
                    {"description", "An API key as `X-API-Key: <key>`"}}}};
  }
  json::object document{
      {"openapi", "3.1.0"},
      {"info", {{"title", "inferd"},
                {"version", options_.version.empty() ? "unknown" : options_.version},
                {"description", kDescription}}},
      {"tags", std::move(tags)},
      {"paths", paths_},
      {"components", std::move(components)}};
  json_ = json::serialize(document);
}

}  // namespace inferd
