#include "command.h"

namespace trustctl::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      env_command(), version_command(),
  };
  return kCommands;
}

}  // namespace trustctl::cli
