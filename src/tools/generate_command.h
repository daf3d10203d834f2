#pragma once

// The `inferd generate` subcommand: loads a GGUF model and streams generated
// text for one prompt to stdout, then prints prompt and generation speed.

#include "CLI/CLI.hpp"

namespace inferd {

// Adds `generate` with its flags and callback to `app`. The callback runs the
// generation and exits the process with status 1 on error (message on stderr).
void RegisterGenerateCommand(CLI::App& app);

}  // namespace inferd
