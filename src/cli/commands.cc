#include "command.h"

namespace trustctl::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      resolve_command(), login_command(), logout_command(), env_command(), key_command(), tuf_client_command(), version_command(),
  };
  return kCommands;
}

}  // namespace trustctl::cli
