#include "src/tools/generate_command.h"

namespace inferd {

void RegisterGenerateCommand(CLI::App& app) {
  app.add_subcommand("generate", "Generate text with a GGUF language model");
}

}  // namespace inferd
