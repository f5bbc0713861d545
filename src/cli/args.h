// The one command-line parser: a command's arguments against its declaration (spec.h), the
// global flags, and the help texts generated from the declarations.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "spec.h"

namespace trustctl::cli {

// Whether `word` is a global flag that takes a value (so the next word is its value).
bool is_global_value_flag(std::string_view word);
// Whether the command line asks for JSON output (-o json, --output=json, ...), looked up
// without parsing, so that even a usage error is reported as JSON.
bool wants_json(const std::vector<std::string>& args);

// Parses `args` (the command line without the command words) against `spec`: the global flags,
// the spec's flags and flag groups, and the number of positional arguments. `help` is set when
// --help was given (nothing else is checked then). kUsage naming what was wrong otherwise.
Result<Context> parse_command(const CommandSpec& spec, const std::vector<std::string>& args,
                              std::ostream& out, std::ostream& err, bool& help);

// Help texts: one command's (usage, description, arguments, flags, environment, examples), a
// group's ("trustctl repo --help": its commands), and trustctl's own.
std::string command_help(const CommandSpec& spec);
std::string group_help(std::string_view group);
std::string top_help();
// "trustctl sign [flags] REF[:TAG]..."
std::string usage_line(const CommandSpec& spec);

// The groups of commands ("repo", "key", ...) with their one-line summaries (commands.cc).
struct CommandGroup {
  std::string_view name;
  std::string_view summary;
};
const std::vector<CommandGroup>& command_groups();

}  // namespace trustctl::cli
