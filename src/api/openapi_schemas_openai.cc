// The bodies of the OpenAI-compatible routes, after OpenAI's own API
// reference (the fields inferd reads and writes). See api/openapi_schemas.h.

#include "api/openapi_schemas.h"

namespace inferd {

std::string_view OpenAiSchemaText() {
  return R"json({
  "OpenAiError": {
    "type": "object", "required": ["error"],
    "properties": {
      "error": {
        "type": "object", "required": ["message", "type"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": ["string", "null"]},
                       "code": {"type": ["string", "null"]}}}}},
  "OpenAiModel": {
    "type": "object", "required": ["id", "object", "created", "owned_by"],
    "properties": {"id": {"type": "string"}, "object": {"const": "model"},
                   "created": {"type": "integer"}, "owned_by": {"type": "string"}}},
  "OpenAiModelList": {
    "type": "object", "required": ["object", "data"],
    "properties": {"object": {"const": "list"},
                   "data": {"type": "array", "items": {"$ref": "#/components/schemas/OpenAiModel"}}}},
  "Stop": {"type": ["string", "array", "null"], "items": {"type": "string"}},
  "ChatMessage": {
    "type": "object", "required": ["role"],
    "properties": {
      "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]},
      "content": {"type": ["string", "array", "null"]}, "name": {"type": "string"},
      "tool_calls": {"type": "array", "items": {"$ref": "#/components/schemas/ToolCall"}},
      "tool_call_id": {"type": "string"}}},
  "ToolCall": {
    "type": "object", "required": ["id", "type", "function"],
    "properties": {
      "id": {"type": "string"}, "type": {"const": "function"},
      "function": {"type": "object", "required": ["name", "arguments"],
                   "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}}}}},
  "SamplingFields": {
    "type": "object",
    "properties": {
      "model": {"type": "string"}, "max_tokens": {"type": ["integer", "null"]},
      "temperature": {"type": ["number", "null"]}, "top_p": {"type": ["number", "null"]},
      "top_k": {"type": "integer"}, "min_p": {"type": "number"},
      "presence_penalty": {"type": ["number", "null"]},
      "frequency_penalty": {"type": ["number", "null"]}, "repeat_penalty": {"type": "number"},
      "seed": {"type": ["integer", "null"]}, "stop": {"$ref": "#/components/schemas/Stop"},
      "n": {"type": ["integer", "null"], "const": 1}, "stream": {"type": ["boolean", "null"]},
      "stream_options": {"type": ["object", "null"],
                         "properties": {"include_usage": {"type": "boolean"}}},
      "ignore_eos": {"type": "boolean"}, "logit_bias": {"type": ["object", "null"]},
      "grammar": {"type": "string", "description": "A GBNF grammar the output must follow"},
      "priority": {"type": "integer", "minimum": 0, "maximum": 4294967295,
                   "description": "Priority level, 1 the most urgent; 0: the model's default"},
      "timeout": {
        "type": "integer", "minimum": 0,
        "description": "Microseconds, waiting and generating; 0: the model's timeout_seconds"}}},
  "ChatCompletionRequest": {
    "allOf": [{"$ref": "#/components/schemas/SamplingFields"}],
    "type": "object", "required": ["model", "messages"],
    "properties": {
      "messages": {"type": "array", "minItems": 1,
                   "items": {"$ref": "#/components/schemas/ChatMessage"}},
      "max_completion_tokens": {"type": ["integer", "null"]},
      "response_format": {"type": "object"}, "tools": {"type": "array"},
      "tool_choice": {"type": ["string", "object"]}, "logprobs": {"type": ["boolean", "null"]},
      "top_logprobs": {"type": ["integer", "null"]}, "chat_template_kwargs": {"type": "object"}},
    "example": {"model": "llm", "messages": [{"role": "user", "content": "Hello"}],
                "max_tokens": 16}},
  "Usage": {
    "type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
    "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
                   "total_tokens": {"type": "integer"},
                   "prompt_tokens_details": {"type": "object"}}},
  "FinishReason": {"type": ["string", "null"],
                   "enum": ["stop", "length", "tool_calls", "content_filter", null]},
  "ChatCompletion": {
    "type": "object", "required": ["id", "object", "created", "model", "choices"],
    "properties": {
      "id": {"type": "string"}, "object": {"const": "chat.completion"},
      "created": {"type": "integer"}, "model": {"type": "string"},
      "system_fingerprint": {"type": ["string", "null"]},
      "choices": {
        "type": "array",
        "items": {
          "type": "object", "required": ["index", "message", "finish_reason"],
          "properties": {
            "index": {"type": "integer"},
            "message": {"$ref": "#/components/schemas/ChatMessage"},
            "logprobs": {"type": ["object", "null"]},
            "finish_reason": {"$ref": "#/components/schemas/FinishReason"}}}},
      "usage": {"$ref": "#/components/schemas/Usage"}}},
  "ChatCompletionChunk": {
    "type": "object", "required": ["id", "object", "created", "model", "choices"],
    "properties": {
      "id": {"type": "string"}, "object": {"const": "chat.completion.chunk"},
      "created": {"type": "integer"}, "model": {"type": "string"},
      "system_fingerprint": {"type": ["string", "null"]},
      "choices": {
        "type": "array",
        "items": {
          "type": "object", "required": ["index", "delta"],
          "properties": {
            "index": {"type": "integer"}, "delta": {"type": "object"},
            "logprobs": {"type": ["object", "null"]},
            "finish_reason": {"$ref": "#/components/schemas/FinishReason"}}}},
      "usage": {"oneOf": [{"$ref": "#/components/schemas/Usage"}, {"type": "null"}]}}},
  "CompletionRequest": {
    "allOf": [{"$ref": "#/components/schemas/SamplingFields"}],
    "type": "object", "required": ["model", "prompt"],
    "properties": {
      "prompt": {"type": ["string", "array"]}, "suffix": {"type": ["string", "null"]},
      "echo": {"type": ["boolean", "null"]}, "best_of": {"type": ["integer", "null"]},
      "logprobs": {"type": ["integer", "null"]}},
    "example": {"model": "llm", "prompt": "Once upon a time", "max_tokens": 16}},
  "Completion": {
    "type": "object", "required": ["id", "object", "created", "model", "choices"],
    "properties": {
      "id": {"type": "string"}, "object": {"const": "text_completion"},
      "created": {"type": "integer"}, "model": {"type": "string"},
      "system_fingerprint": {"type": ["string", "null"]},
      "choices": {
        "type": "array",
        "items": {
          "type": "object", "required": ["index", "text", "finish_reason"],
          "properties": {
            "index": {"type": "integer"}, "text": {"type": "string"},
            "logprobs": {"type": ["object", "null"]},
            "finish_reason": {"$ref": "#/components/schemas/FinishReason"}}}},
      "usage": {"oneOf": [{"$ref": "#/components/schemas/Usage"}, {"type": "null"}]}}},
  "EmbeddingRequest": {
    "type": "object", "required": ["model", "input"],
    "properties": {
      "model": {"type": "string"},
      "input": {"type": ["string", "array"], "description": "A text or a list of texts"},
      "encoding_format": {"type": "string", "enum": ["float", "base64"]},
      "dimensions": {"type": "integer"}, "user": {"type": "string"}}},
  "EmbeddingList": {
    "type": "object", "required": ["object", "data", "model", "usage"],
    "properties": {
      "object": {"const": "list"}, "model": {"type": "string"},
      "data": {
        "type": "array",
        "items": {
          "type": "object", "required": ["object", "embedding", "index"],
          "properties": {"object": {"const": "embedding"},
                         "embedding": {"type": ["array", "string"], "items": {"type": "number"}},
                         "index": {"type": "integer"}}}},
      "usage": {"type": "object", "required": ["prompt_tokens", "total_tokens"],
                "properties": {"prompt_tokens": {"type": "integer"},
                               "total_tokens": {"type": "integer"}}}}}
})json";
}

}  // namespace inferd
