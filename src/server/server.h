#pragma once

// Wires the server together from ServerOptions: backends, model repository,
// API handlers, route table and HTTP server; runs until SIGTERM or SIGINT,
// then drains (stop accepting, finish in-flight requests, unload models).
// One per process.

#include <memory>

#include "absl/status/status.h"
#include "config/server_options.h"

namespace inferd {

// Blocks until a termination signal arrives and the drain completes.
// Returns an error for bad options or a port that cannot be bound.
absl::Status RunServer(const ServerOptions& options);

}  // namespace inferd
