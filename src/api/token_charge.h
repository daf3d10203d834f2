#pragma once

// Charges the tokens a generation produced to its caller's generated-tokens
// rate limit (HttpRequest::charge_tokens, set by the route guard when the
// caller's API key has tokens_per_minute). Thread-safe.

#include <cstdint>
#include <functional>

#include "serving/inference_service.h"

namespace inferd {

using TokenCharge = std::function<void(int64_t tokens)>;

// `done`, preceded by charging the result's generated tokens to `charge`
// (when it is set and the generation produced any). `done` itself when
// `charge` is empty.
InferenceService::GenerateDone ChargeGenerated(TokenCharge charge,
                                               InferenceService::GenerateDone done);

}  // namespace inferd
