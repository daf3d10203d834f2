// The bodies of inferd's own routes: jobs, /health, /metrics, the API's
// document and page, and the error body every non-OpenAI route answers
// with. See api/openapi_schemas.h.

#include "api/openapi_schemas.h"

namespace inferd {

std::string_view ServerSchemaText() {
  return R"json({
  "Error": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What is wrong, naming the field"}}},
  "ModelState": {"type": "string", "enum": ["UNKNOWN", "LOADING", "READY", "UNAVAILABLE", "UNLOADING"]},
  "HealthSummary": {
    "type": "object", "required": ["status", "version", "uptime_seconds", "device", "models"],
    "properties": {
      "status": {"type": "string", "enum": ["loading", "ready", "degraded"]},
      "version": {"type": "string"}, "uptime_seconds": {"type": "integer"},
      "device": {"type": "string"},
      "models": {
        "type": "array",
        "items": {
          "type": "object", "required": ["name", "versions"],
          "properties": {
            "name": {"type": "string"},
            "versions": {
              "type": "array",
              "items": {
                "type": "object", "required": ["version", "state", "reason"],
                "properties": {
                  "version": {"type": "string"},
                  "state": {"$ref": "#/components/schemas/ModelState"},
                  "reason": {"type": "string"},
                  "generation": {
                    "type": "object",
                    "properties": {
                      "running_sequences": {"type": "integer"},
                      "waiting_sequences": {"type": "integer"},
                      "kv_cache_used_bytes": {"type": "integer"},
                      "kv_cache_capacity_bytes": {"type": "integer"}}}}}}}}},
      "jobs": {"type": "object", "required": ["status"],
               "properties": {"status": {"type": "string", "enum": ["available", "unavailable"]},
                              "reason": {"type": "string"}}},
      "redis": {"type": "object", "required": ["url", "status"],
                "properties": {"url": {"type": "string"},
                               "status": {"type": "string", "enum": ["up", "down"]},
                               "reason": {"type": "string"}}}}},
  "JobSubmission": {
    "type": "object", "required": ["model", "input"],
    "properties": {
      "model": {"type": "string"}, "version": {"type": "string"},
      "route": {"type": "string", "enum": ["infer", "predict"], "default": "infer"},
      "input": {"type": "object",
                "description": "The body the route takes: an InferRequest or a PredictRequest"},
      "priority": {"type": "string", "enum": ["high", "normal", "low"]},
      "webhook": {"type": "string", "description": "http(s) URL told when the job is final"},
      "max_attempts": {"type": "integer", "minimum": 1}},
    "example": {
      "model": "simple",
      "input": {"inputs": [
        {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32",
         "data": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]},
        {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32",
         "data": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]}}},
  "JobAccepted": {
    "type": "object", "required": ["id", "status"],
    "description": "A submitted job; Location: /v1/jobs/{id} names its document",
    "properties": {
      "id": {"type": "string"},
      "status": {"type": "string",
                 "enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
      "created": {"const": false,
                  "description": "Present when an Idempotency-Key gave back an earlier job"}}},
  "Job": {
    "type": "object",
    "required": ["id", "status", "model", "version", "route", "priority", "attempts",
                 "max_attempts", "cancel_requested"],
    "properties": {
      "id": {"type": "string"},
      "status": {"type": "string",
                 "enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
      "model": {"type": "string"}, "version": {"type": "string"},
      "route": {"type": "string"},
      "priority": {"type": "string", "enum": ["high", "normal", "low"]},
      "owner": {"type": "string", "description": "The API key that submitted it"},
      "created_at": {"type": "string", "format": "date-time"},
      "started_at": {"type": "string", "format": "date-time"},
      "finished_at": {"type": "string", "format": "date-time"},
      "retry_at": {"type": "string", "format": "date-time"},
      "attempts": {
        "type": "array",
        "items": {"type": "object", "required": ["number"],
                  "properties": {"number": {"type": "integer"},
                                 "started_at": {"type": "string"},
                                 "finished_at": {"type": "string"},
                                 "error": {"type": "string"},
                                 "interrupted": {"type": "boolean"}}}},
      "worker": {"type": "string"}, "max_attempts": {"type": "integer"},
      "cancel_requested": {"type": "boolean"},
      "result_status": {"type": "integer"}, "result_content_type": {"type": "string"},
      "result": {"description": "The route's answer, when JSON (see /v1/jobs/{id}/result)"},
      "error": {"type": "string"}, "idempotency_key": {"type": "string"},
      "webhook": {"type": "object", "required": ["url", "status", "attempts"],
                  "properties": {"url": {"type": "string"}, "status": {"type": "string"},
                                 "attempts": {"type": "integer"},
                                 "last_error": {"type": "string"}}}}},
  "JobList": {
    "type": "object", "required": ["jobs"],
    "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                   "next_cursor": {"type": "string"}}},
  "JobResult": {
    "description": "The job's route's answer, byte for byte, with its content type: an InferResponse or a PredictResponse"},
  "EventStream": {"type": "string", "description": "Server-Sent Events"},
  "PrometheusText": {"type": "string", "description": "Prometheus text exposition format 0.0.4"},
  "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"],
                      "description": "This OpenAPI 3.1 document"},
  "HtmlPage": {"type": "string", "description": "An HTML page"},
  "AssetFile": {"type": "string", "format": "binary",
                "description": "A file of swagger-ui-dist: script, style sheet or icon"}
})json";
}

}  // namespace inferd
