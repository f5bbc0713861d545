// Commands are declared once, as data (docs/architecture.md, "Adding a command"): name, the
// arguments and flags with their placeholders and help, examples and the environment they read.
// One parser (args.cc) checks every command line against its declaration and renders its help;
// completions and man pages can be generated from the same declarations.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/http/http_client.h"

namespace trustctl::cli {

enum class OutputFormat { kText, kJson, kSarif };

// What a flag's value or a positional argument stands for.
enum class ValueKind {
  kNone,
  kText,
  kReference,
  kRepository,
  kRegistry,
  kFile,
  kDir,
  kKeyId,
  kNumber,
  kRole
};

struct FlagSpec {
  std::string_view name;   // long name without dashes: "digest"
  char short_name;         // 'y' for -y, '\0' for none
  std::string_view value;  // placeholder ("DIGEST"); empty for a switch
  std::string_view help;
  ValueKind kind;
  bool repeatable;
  std::string_view fallback;  // the value when the flag is not given (shown in help)

  FlagSpec(std::string_view name_, char short_name_, std::string_view value_,
           std::string_view help_, ValueKind kind_ = ValueKind::kNone, bool repeatable_ = false,
           std::string_view fallback_ = {})
      : name(name_),
        short_name(short_name_),
        value(value_),
        help(help_),
        kind(kind_),
        repeatable(repeatable_),
        fallback(fallback_) {}
};

struct PositionalSpec {
  std::string_view name;  // as the usage line shows it: "REF[:TAG]"
  std::string_view help;
  ValueKind kind;
  int min;  // how many are required
  int max;  // -1: any number

  PositionalSpec(std::string_view name_, std::string_view help_, ValueKind kind_ = ValueKind::kText,
                 int min_ = 1, int max_ = 1)
      : name(name_), help(help_), kind(kind_), min(min_), max(max_) {}
};

// The REPO argument of the repository-level commands (repo, signer, trust).
inline const PositionalSpec kRepositoryArgument{"REPO", "the repository (no tag or digest)",
                                                ValueKind::kRepository};

// Flags several commands share, declared once in args.cc.
enum FlagGroup : unsigned {
  kTrustFlags = 1u << 0,    // --tofu, --trust-repository
  kPublishFlags = 1u << 1,  // --accept-state
  kSarifOutput = 1u << 2,   // accepts -o sarif (admit)
};

struct Context;
using RunFn = Status (*)(Context&);

struct CommandSpec {
  std::string_view path;         // "sign", "repo init"
  std::string_view summary;      // one line, for the command list
  std::string_view description;  // the help text's body
  std::vector<PositionalSpec> positionals;
  std::vector<FlagSpec> flags;
  unsigned groups;  // FlagGroup bits
  std::vector<std::string_view> examples;
  std::vector<std::string_view> env;  // environment variables the command reads
  RunFn run;
  std::vector<std::string_view> aliases;  // other paths that name it ("key ls")

  CommandSpec(std::string_view path_, std::string_view summary_, std::string_view description_,
              std::vector<PositionalSpec> positionals_, std::vector<FlagSpec> flags_,
              unsigned groups_, std::vector<std::string_view> examples_,
              std::vector<std::string_view> env_, RunFn run_,
              std::vector<std::string_view> aliases_ = {})
      : path(path_),
        summary(summary_),
        description(description_),
        positionals(std::move(positionals_)),
        flags(std::move(flags_)),
        groups(groups_),
        examples(std::move(examples_)),
        env(std::move(env_)),
        run(run_),
        aliases(std::move(aliases_)) {}
};

// Flags every command accepts, before or after the command words.
struct GlobalOptions {
  OutputFormat output = OutputFormat::kText;
  bool debug = false;
  std::string trust_dir;                         // --trust-dir, TRUSTCTL_TRUST_DIR, ~/.trustctl
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT] (repeatable)
  // --timeout SECONDS, TRUSTCTL_TIMEOUT: the base of every registry request's deadline and its
  // stall window (http::ClientOptions::timeout_ms).
  long timeout_ms = http::kDefaultTimeoutMs;
  // Called before every registry request attempt (serve counts them for /metrics).
  std::function<void()> on_registry_request;
};

// One run of one command: its parsed command line, and where results and diagnostics go.
struct Context {
  const CommandSpec& spec;
  GlobalOptions global;
  std::vector<std::string> args;  // the positional arguments, checked against the spec
  std::map<std::string, std::vector<std::string>> flags;  // given flags (a switch: {""})
  std::ostream& out;
  std::ostream& err;
  // Set by a command that reported its failure itself (on stderr, and under -o json on stdout),
  // so that only the exit code is left to do.
  bool error_reported = false;

  bool json() const { return global.output == OutputFormat::kJson; }
  bool has(std::string_view flag) const;
  // The flag's value (the last one given), or its declared fallback, or nullopt.
  std::optional<std::string> value(std::string_view flag) const;
  std::vector<std::string> values(std::string_view flag) const;
  // The flag's value as a whole number; kUsage naming the flag otherwise.
  Result<std::optional<std::int64_t>> number(std::string_view flag) const;
  std::string program() const;  // "trustctl sign"
};

// All commands, in the order help lists them (commands.cc).
const std::vector<CommandSpec>& commands();

// Each cmd_*.cc declares its commands.
std::vector<CommandSpec> sign_commands();      // sign, revoke (cmd_sign.cc)
std::vector<CommandSpec> image_commands();     // pull, push (cmd_image.cc)
std::vector<CommandSpec> copy_commands();      // copy (cmd_copy.cc)
std::vector<CommandSpec> verify_commands();    // verify, inspect (cmd_verify.cc)
std::vector<CommandSpec> signer_commands();    // signer add|remove|list (cmd_signer.cc)
std::vector<CommandSpec> repo_commands();      // repo … (cmd_repo.cc)
std::vector<CommandSpec> trust_commands();     // trust pin|list|unpin (cmd_trust.cc)
std::vector<CommandSpec> key_commands();       // key … (cmd_key.cc)
std::vector<CommandSpec> registry_commands();  // resolve, login, logout (cmd_registry.cc)
std::vector<CommandSpec> tool_commands();      // env, version, tuf-client (cmd_tools.cc)
std::vector<CommandSpec> admit_commands();     // admit (cmd_admit.cc)
std::vector<CommandSpec> serve_commands();     // serve (cmd_serve.cc)

}  // namespace trustctl::cli
