#include "api/token_charge.h"

#include <utility>

namespace inferd {

InferenceService::GenerateDone ChargeGenerated(TokenCharge charge,
                                               InferenceService::GenerateDone done) {
  if (!charge) return done;
  return [charge = std::move(charge),
          done = std::move(done)](absl::StatusOr<GenerateResult> result) mutable {
    if (result.ok() && result->generated_tokens > 0) charge(result->generated_tokens);
    done(std::move(result));
  };
}

}  // namespace inferd
