// The command table: every command's declaration, in the order help lists them.
#include "args.h"
#include "spec.h"

namespace trustctl::cli {

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> kCommands = [] {
    std::vector<CommandSpec> all;
    for (auto part : {sign_commands(), verify_commands(), image_commands(), copy_commands(),
                      admit_commands(), serve_commands(), signer_commands(), repo_commands(), trust_commands(),
                      key_commands(), registry_commands(), tool_commands()})
      all.insert(all.end(), part.begin(), part.end());
    return all;
  }();
  return kCommands;
}

const std::vector<CommandGroup>& command_groups() {
  static const std::vector<CommandGroup> kGroups = {
      {"signer", "Add, remove and list named signers with thresholds (delegations)."},
      {"repo",
       "Manage a repository's trust data over time: init, status, refresh, rotate, repair, "
       "export, delete."},
      {"trust", "Pin, list and unpin the roots this trust dir trusts without trust on first use."},
      {"key",
       "Manage the signing keys in the trust dir (passphrases: trustctl env, docs/keys.md)."},
  };
  return kGroups;
}

}  // namespace trustctl::cli
