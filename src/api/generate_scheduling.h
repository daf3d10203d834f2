#pragma once

// The scheduling fields of a generation request, "priority" and "timeout",
// read from a JSON object (the generate extension's "parameters", an OpenAI
// request's body) with the rules every inferd route uses for them
// (tensor/scheduling_parameters.h): priority a level 0..4294967295 (1 is the
// most urgent, 0 the model's default), timeout in microseconds.
//
// Stateless; thread-safe.

#include <string_view>

#include "absl/status/status.h"
#include "boost/json/object.hpp"
#include "serving/generate_call.h"

namespace inferd {

// Sets input->priority and input->timeout from `object` when present;
// InvalidArgument naming the field ("<prefix>priority: ...") for a bad value.
absl::Status ReadGenerateScheduling(const boost::json::object& object, std::string_view prefix,
                                    GenerateInput* input);

}  // namespace inferd
