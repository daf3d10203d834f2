// The bodies of KServe v2 (Open Inference Protocol) with Triton's
// extensions, and of KServe v1 :predict. See api/openapi_schemas.h.

#include "api/openapi_schemas.h"

namespace inferd {

std::string_view KServeSchemaText() {
  return R"json({
  "Live": {"type": "object", "required": ["live"], "properties": {"live": {"type": "boolean"}}},
  "Ready": {"type": "object", "required": ["ready"], "properties": {"ready": {"type": "boolean"}}},
  "ServerMetadata": {
    "type": "object", "required": ["name", "version", "extensions"],
    "properties": {
      "name": {"type": "string"}, "version": {"type": "string"},
      "extensions": {"type": "array", "items": {"type": "string"}}}},
  "Datatype": {
    "type": "string",
    "enum": ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
             "FP16", "FP32", "FP64", "BF16", "BYTES"]},
  "TensorMetadata": {
    "type": "object", "required": ["name", "datatype", "shape"],
    "properties": {
      "name": {"type": "string"}, "datatype": {"$ref": "#/components/schemas/Datatype"},
      "shape": {"type": "array", "items": {"type": "integer"},
                "description": "-1 for a dimension of any size"}}},
  "ModelMetadata": {
    "type": "object", "required": ["name", "versions", "platform", "inputs", "outputs"],
    "properties": {
      "name": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}},
      "platform": {"type": "string"},
      "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/TensorMetadata"}},
      "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/TensorMetadata"}}}},
  "ModelReady": {
    "type": "object", "required": ["name", "version", "ready"],
    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                   "ready": {"type": "boolean"}}},
  "ModelConfig": {
    "type": "object", "required": ["name"],
    "description": "The model's config.pbtxt as JSON, with defaults filled in",
    "properties": {
      "name": {"type": "string"}, "platform": {"type": "string"}, "backend": {"type": "string"},
      "max_batch_size": {"type": "integer"},
      "input": {"type": "array", "items": {"type": "object"}},
      "output": {"type": "array", "items": {"type": "object"}}}},
  "Parameters": {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean"]}},
  "TensorData": {
    "description": "The elements in row-major order, flat or nested by the shape; strings for BYTES",
    "type": ["array", "number", "string", "boolean"]},
  "InferInputTensor": {
    "type": "object", "required": ["name", "shape", "datatype"],
    "properties": {
      "name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer"}},
      "datatype": {"$ref": "#/components/schemas/Datatype"},
      "parameters": {"$ref": "#/components/schemas/Parameters"},
      "data": {"$ref": "#/components/schemas/TensorData"}}},
  "InferRequestedOutput": {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"},
                   "parameters": {"$ref": "#/components/schemas/Parameters"}}},
  "InferRequest": {
    "type": "object", "required": ["inputs"],
    "properties": {
      "id": {"type": "string"}, "parameters": {"$ref": "#/components/schemas/Parameters"},
      "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/InferInputTensor"}},
      "outputs": {"type": "array",
                  "items": {"$ref": "#/components/schemas/InferRequestedOutput"}}},
    "example": {
      "inputs": [
        {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32",
         "data": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]},
        {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32",
         "data": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]}},
  "InferOutputTensor": {
    "type": "object", "required": ["name", "shape", "datatype"],
    "properties": {
      "name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer"}},
      "datatype": {"$ref": "#/components/schemas/Datatype"},
      "parameters": {"$ref": "#/components/schemas/Parameters"},
      "data": {"$ref": "#/components/schemas/TensorData"}}},
  "InferResponse": {
    "type": "object", "required": ["model_name", "outputs"],
    "properties": {
      "model_name": {"type": "string"}, "model_version": {"type": "string"},
      "id": {"type": "string"}, "parameters": {"$ref": "#/components/schemas/Parameters"},
      "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/InferOutputTensor"}}}},
  "GenerateRequest": {
    "type": "object", "required": ["text_input"],
    "properties": {
      "text_input": {"type": "string"},
      "parameters": {
        "type": "object",
        "properties": {
          "max_tokens": {"type": "integer"}, "top_k": {"type": "integer"},
          "seed": {"type": "integer", "minimum": 0}, "temperature": {"type": "number"},
          "top_p": {"type": "number"}, "min_p": {"type": "number"},
          "repeat_penalty": {"type": "number"}, "ignore_eos": {"type": "boolean"},
          "stop": {"type": ["string", "array"], "items": {"type": "string"}},
          "json_schema": {"type": ["object", "string"]}, "grammar": {"type": "string"},
          "priority": {"type": "integer", "minimum": 0, "maximum": 4294967295},
          "timeout": {
            "type": "integer", "minimum": 0,
            "description": "Microseconds, waiting and generating; 0: timeout_seconds applies"}}}}},
  "GenerateResponse": {
    "type": "object", "required": ["model_name", "model_version", "text_output"],
    "properties": {
      "model_name": {"type": "string"}, "model_version": {"type": "string"},
      "text_output": {"type": "string"}, "finish_reason": {"type": "string"},
      "prompt_tokens": {"type": "integer"}, "generated_tokens": {"type": "integer"}}},
  "PredictRequest": {
    "type": "object",
    "description": "KServe v1 / TF Serving: `instances` (rows) or `inputs` (columns)",
    "properties": {
      "instances": {"type": "array"}, "inputs": {"type": ["object", "array"]},
      "signature_name": {"type": "string"}, "parameters": {"type": "object"}}},
  "PredictResponse": {
    "type": "object", "required": ["predictions", "model_name", "model_version"],
    "properties": {
      "predictions": {"type": "array",
                      "description": "One per instance; {\"error\": ...} for one that failed"},
      "model_name": {"type": "string"}, "model_version": {"type": "string"},
      "request_id": {"type": "string"}, "inference_time_ms": {"type": "number"},
      "success_count": {"type": "integer"}, "failure_count": {"type": "integer"}}},
  "RepositoryIndex": {
    "type": "array",
    "items": {
      "type": "object", "required": ["name", "state", "reason"],
      "properties": {
        "name": {"type": "string"}, "version": {"type": "string"},
        "state": {"type": "string", "enum": ["UNKNOWN", "LOADING", "READY", "UNAVAILABLE", "UNLOADING"]},
        "reason": {"type": "string"}}}},
  "RepositoryIndexRequest": {
    "type": "object", "properties": {"ready": {"type": "boolean",
                                               "description": "Only the ready versions"}}},
  "RepositoryLoadRequest": {
    "type": "object",
    "properties": {"parameters": {"type": "object",
                                  "description": "\"config\": a config.pbtxt as JSON to load with"}}},
  "Empty": {"type": "object", "maxProperties": 0},
  "DurationStat": {
    "type": "object", "required": ["count", "ns"],
    "properties": {"count": {"type": "integer"}, "ns": {"type": "integer"}}},
  "ModelStatistics": {
    "type": "object", "required": ["model_stats"],
    "properties": {
      "model_stats": {
        "type": "array",
        "items": {
          "type": "object",
          "required": ["name", "version", "inference_count", "execution_count", "inference_stats"],
          "properties": {
            "name": {"type": "string"}, "version": {"type": "string"},
            "last_inference": {"type": "integer"}, "inference_count": {"type": "integer"},
            "execution_count": {"type": "integer"},
            "inference_stats": {
              "type": "object",
              "additionalProperties": {"$ref": "#/components/schemas/DurationStat"}},
            "batch_stats": {"type": "array", "items": {"type": "object"}}}}}}},
  "SystemSharedMemoryStatus": {
    "type": "array",
    "items": {
      "type": "object", "required": ["name", "key", "offset", "byte_size"],
      "properties": {"name": {"type": "string"}, "key": {"type": "string"},
                     "offset": {"type": "integer"}, "byte_size": {"type": "integer"}}}},
  "SystemSharedMemoryRegister": {
    "type": "object", "required": ["key", "byte_size"],
    "properties": {"key": {"type": "string", "description": "POSIX shared memory object name"},
                   "offset": {"type": "integer"}, "byte_size": {"type": "integer"}}},
  "CudaSharedMemoryStatus": {"type": "array", "maxItems": 0},
  "CudaSharedMemoryRegister": {
    "type": "object",
    "properties": {"raw_handle": {"type": "object"}, "device_id": {"type": "integer"},
                   "byte_size": {"type": "integer"}}},
  "LogSettings": {
    "type": "object",
    "properties": {
      "log_file": {"type": "string"}, "log_info": {"type": "boolean"},
      "log_warning": {"type": "boolean"}, "log_error": {"type": "boolean"},
      "log_verbose_level": {"type": "integer"},
      "log_format": {"type": "string", "enum": ["default", "json", "ISO8601"]}}},
  "TraceSettings": {
    "type": "object",
    "properties": {
      "trace_level": {"type": "array", "items": {"type": "string"}},
      "trace_rate": {"type": "string"}, "trace_count": {"type": "string"},
      "log_frequency": {"type": "string"}, "trace_file": {"type": "string"},
      "trace_mode": {"type": "string"}}}
})json";
}

}  // namespace inferd
