// The bodies of the Ollama-compatible routes (/api/*), after Ollama's API
// documentation: the fields inferd reads and writes. See api/openapi_schemas.h.

#include "api/openapi_schemas.h"

namespace inferd {

std::string_view OllamaSchemaText() {
  return R"json({
  "OllamaOptions": {
    "type": "object",
    "description": "Sampling options: num_predict, temperature, top_k, top_p, min_p, seed, stop, ...",
    "properties": {
      "num_predict": {"type": "integer"}, "num_ctx": {"type": "integer"},
      "temperature": {"type": "number"}, "top_k": {"type": "integer"},
      "top_p": {"type": "number"}, "min_p": {"type": "number"},
      "repeat_penalty": {"type": "number"}, "presence_penalty": {"type": "number"},
      "frequency_penalty": {"type": "number"}, "seed": {"type": "integer"},
      "stop": {"type": "array", "items": {"type": "string"}}}},
  "OllamaGenerateRequest": {
    "type": "object", "required": ["model"],
    "properties": {
      "model": {"type": "string"}, "prompt": {"type": "string"}, "system": {"type": "string"},
      "suffix": {"type": "string"}, "raw": {"type": "boolean"}, "stream": {"type": "boolean"},
      "format": {"type": ["string", "object"]}, "template": {"type": "string"},
      "images": {"type": "array"}, "context": {"type": "array"}, "think": {"type": ["boolean", "string"]},
      "keep_alive": {"type": ["string", "number"]},
      "options": {"$ref": "#/components/schemas/OllamaOptions"}},
    "example": {"model": "llm", "prompt": "Once upon a time", "stream": false,
                "options": {"num_predict": 16}}},
  "OllamaTimings": {
    "type": "object",
    "properties": {
      "total_duration": {"type": "integer"}, "load_duration": {"type": "integer"},
      "prompt_eval_count": {"type": "integer"}, "prompt_eval_duration": {"type": "integer"},
      "eval_count": {"type": "integer"}, "eval_duration": {"type": "integer"}}},
  "OllamaGenerateResponse": {
    "allOf": [{"$ref": "#/components/schemas/OllamaTimings"}],
    "type": "object", "required": ["model", "created_at", "response", "done"],
    "properties": {
      "model": {"type": "string"}, "created_at": {"type": "string"},
      "response": {"type": "string"}, "thinking": {"type": "string"},
      "done": {"type": "boolean"}, "done_reason": {"type": "string"},
      "context": {"type": "array", "items": {"type": "integer"}}}},
  "OllamaMessage": {
    "type": "object", "required": ["role", "content"],
    "properties": {
      "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]},
      "content": {"type": "string"}, "thinking": {"type": "string"},
      "images": {"type": "array"}, "tool_name": {"type": "string"},
      "tool_calls": {"type": "array", "items": {"type": "object"}}}},
  "OllamaChatRequest": {
    "type": "object", "required": ["model", "messages"],
    "properties": {
      "model": {"type": "string"},
      "messages": {"type": "array", "items": {"$ref": "#/components/schemas/OllamaMessage"}},
      "tools": {"type": "array"}, "stream": {"type": "boolean"},
      "format": {"type": ["string", "object"]}, "think": {"type": ["boolean", "string"]},
      "keep_alive": {"type": ["string", "number"]},
      "options": {"$ref": "#/components/schemas/OllamaOptions"}},
    "example": {"model": "llm", "messages": [{"role": "user", "content": "Hello"}],
                "stream": false, "options": {"num_predict": 16}}},
  "OllamaChatResponse": {
    "allOf": [{"$ref": "#/components/schemas/OllamaTimings"}],
    "type": "object", "required": ["model", "created_at", "message", "done"],
    "properties": {
      "model": {"type": "string"}, "created_at": {"type": "string"},
      "message": {"$ref": "#/components/schemas/OllamaMessage"},
      "done": {"type": "boolean"}, "done_reason": {"type": "string"}}},
  "OllamaEmbedRequest": {
    "type": "object", "required": ["model", "input"],
    "properties": {
      "model": {"type": "string"},
      "input": {"type": ["string", "array"], "minLength": 1, "maxItems": 2048,
                "items": {"type": "string", "minLength": 1}},
      "truncate": {"type": "boolean"}, "dimensions": {"type": "integer"},
      "keep_alive": {"type": ["string", "number"]},
      "options": {"$ref": "#/components/schemas/OllamaOptions"}}},
  "OllamaEmbedResponse": {
    "type": "object", "required": ["model", "embeddings"],
    "properties": {
      "model": {"type": "string"},
      "embeddings": {"type": "array",
                     "items": {"type": "array", "items": {"type": "number"}}},
      "total_duration": {"type": "integer"}, "load_duration": {"type": "integer"},
      "prompt_eval_count": {"type": "integer"}}},
  "OllamaEmbeddingsRequest": {
    "type": "object", "required": ["model", "prompt"],
    "properties": {"model": {"type": "string"}, "prompt": {"type": "string"},
                   "keep_alive": {"type": ["string", "number"]},
                   "options": {"$ref": "#/components/schemas/OllamaOptions"}}},
  "OllamaEmbeddingsResponse": {
    "type": "object", "required": ["embedding"],
    "properties": {"embedding": {"type": "array", "items": {"type": "number"}}}},
  "OllamaModelDetails": {
    "type": "object",
    "properties": {
      "parent_model": {"type": "string"}, "format": {"type": "string"},
      "family": {"type": "string"}, "families": {"type": ["array", "null"]},
      "parameter_size": {"type": "string"}, "quantization_level": {"type": "string"}}},
  "OllamaTags": {
    "type": "object", "required": ["models"],
    "properties": {
      "models": {
        "type": "array",
        "items": {
          "type": "object", "required": ["name", "model", "modified_at", "size", "digest"],
          "properties": {
            "name": {"type": "string"}, "model": {"type": "string"},
            "modified_at": {"type": "string"}, "size": {"type": "integer"},
            "digest": {"type": "string"},
            "details": {"$ref": "#/components/schemas/OllamaModelDetails"}}}}}},
  "OllamaShowRequest": {
    "type": "object",
    "description": "`model` (or Ollama's older `name`)",
    "properties": {"model": {"type": "string"}, "name": {"type": "string"},
                   "verbose": {"type": "boolean"}}},
  "OllamaShowResponse": {
    "type": "object", "required": ["details"],
    "properties": {
      "modelfile": {"type": "string"}, "parameters": {"type": "string"},
      "template": {"type": "string"},
      "details": {"$ref": "#/components/schemas/OllamaModelDetails"},
      "model_info": {"type": "object"}, "capabilities": {"type": "array"},
      "modified_at": {"type": "string"}}},
  "OllamaPs": {
    "type": "object", "required": ["models"],
    "properties": {
      "models": {
        "type": "array",
        "items": {
          "type": "object", "required": ["name", "model"],
          "properties": {
            "name": {"type": "string"}, "model": {"type": "string"},
            "size": {"type": "integer"}, "digest": {"type": "string"},
            "details": {"$ref": "#/components/schemas/OllamaModelDetails"},
            "expires_at": {"type": "string"}, "size_vram": {"type": "integer"},
            "context_length": {"type": "integer"}}}}}},
  "OllamaVersion": {
    "type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}},
  "OllamaPullRequest": {
    "type": "object",
    "description": "`model` (or `name`): a model of the repository, loaded if it is not",
    "properties": {"model": {"type": "string"}, "name": {"type": "string"},
                   "stream": {"type": "boolean"}, "insecure": {"type": "boolean"}}},
  "OllamaPullStatus": {
    "type": "object", "required": ["status"],
    "properties": {"status": {"type": "string"}, "digest": {"type": "string"},
                   "total": {"type": "integer"}, "completed": {"type": "integer"}}}
})json";
}

}  // namespace inferd
