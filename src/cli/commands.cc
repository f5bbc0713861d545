#include "command.h"

namespace trustctl::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      sign_command(),   verify_command(), inspect_command(),    revoke_command(),  signer_command(),
      repo_command(),   trust_command(),  key_command(),        resolve_command(), login_command(),
      logout_command(), env_command(),    tuf_client_command(), version_command(),
  };
  return kCommands;
}

}  // namespace trustctl::cli
