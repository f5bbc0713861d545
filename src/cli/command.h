// The command table: each command lives in its own cmd_<name>.cc and registers here.
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/http/http_client.h"

namespace trustctl::cli {

enum class OutputFormat { kText, kJson };

// Flags every command accepts, before or after the command word.
struct GlobalOptions {
  OutputFormat output = OutputFormat::kText;
  bool debug = false;
  std::string trust_dir;                         // --trust-dir, TRUSTCTL_TRUST_DIR, ~/.trustctl
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT] (repeatable)
  // --timeout SECONDS, TRUSTCTL_TIMEOUT: the base of every registry request's deadline and its
  // stall window (http::ClientOptions::timeout_ms).
  long timeout_ms = http::kDefaultTimeoutMs;
};

// Global flags that take a value, so the word after them is not a command.
inline const std::vector<std::string>& global_value_flags() {
  static const std::vector<std::string> kFlags = {"-o", "--output", "--trust-dir",
                                                  "--insecure-registry", "--timeout"};
  return kFlags;
}

// One run of one command.
struct Invocation {
  std::string program;            // "trustctl key generate": for help texts
  std::vector<std::string> args;  // everything after the command word (flags included)
  std::ostream* out = nullptr;    // results
  std::ostream* err = nullptr;    // diagnostics
};

// A parsed command line: global options applied, command flags in `flags`, positionals in
// `positional`. Returns nullopt-equivalent (kUsage error) on bad flags; help is handled by the
// caller (see parse()).
struct Parsed {
  cxxopts::ParseResult flags;
  std::vector<std::string> positional;
  GlobalOptions global;
  bool help = false;
};

// Adds the global flags and --help to `options`, parses `inv.args`, applies --debug, and
// prints help to inv.out when asked (then Parsed::help is true). Unknown flags are kUsage.
Result<Parsed> parse(cxxopts::Options& options, const Invocation& inv);

using CommandFn = std::function<Status(const Invocation&)>;

// A command group ("key", "repo", "trust"): finds the sub-command word in inv.args (skipping
// global flags and their values), runs the matching entry with the rest, prints `usage` for
// --help without a sub-command, and is a usage error otherwise.
struct Subcommand {
  std::vector<std::string> names;  // first is the canonical name, the rest aliases
  CommandFn run;
};
Status dispatch_subcommand(const Invocation& inv, const std::vector<Subcommand>& subs,
                           std::string_view usage);

struct Command {
  std::string name;     // "resolve", or a group such as "key"
  std::string summary;  // one line for `trustctl --help`
  CommandFn run;
};

// All commands, in the order `trustctl --help` lists them.
const std::vector<Command>& commands();

// Registration: each cmd_*.cc defines one of these; commands.cc lists them.
Command version_command();
Command env_command();
Command key_command();
Command sign_command();
Command verify_command();
Command inspect_command();
Command revoke_command();
Command signer_command();
Command repo_command();
Command trust_command();
Command resolve_command();
Command login_command();
Command logout_command();
Command tuf_client_command();

// cmd_export.cc: repo export and repo delete added to the repo group; verify --offline.
// `repo export` and `repo delete` (cmd_export.cc).
Status repo_export(const Invocation& inv);
Status repo_delete(const Invocation& inv);
Status verify_offline(const Invocation& inv, const Parsed& p);

}  // namespace trustctl::cli
