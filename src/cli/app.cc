#include "app.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <ostream>

#include "args.h"
#include "spec.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

// The words that name a command: after any global flags, the longest run of words that is a
// command's path (or alias), or a group's name; `rest` gets every other argument.
struct Found {
  const CommandSpec* command = nullptr;
  std::string group;       // "repo" when only a group was named
  std::string unknown;     // the word that named nothing
  bool help_word = false;  // `trustctl help …`
  std::vector<std::string> rest;
};

bool names(const CommandSpec& c, const std::string& path) {
  if (c.path == path) return true;
  return std::find(c.aliases.begin(), c.aliases.end(), path) != c.aliases.end();
}

bool is_group(const std::string& name) {
  for (const auto& g : command_groups())
    if (g.name == name) return true;
  return false;
}

Found find_command(const std::vector<std::string>& args) {
  Found f;
  std::size_t i = 0;
  std::vector<std::string> before;  // global flags before the command words
  while (i < args.size() && !args[i].empty() && args[i][0] == '-') {
    before.push_back(args[i]);
    if (is_global_value_flag(args[i]) && i + 1 < args.size()) before.push_back(args[++i]);
    ++i;
  }
  if (i < args.size() && args[i] == "help") {
    f.help_word = true;
    ++i;
  }
  std::string path;
  std::size_t end = i;
  for (std::size_t j = i; j < args.size() && !args[j].empty() && args[j][0] != '-'; ++j) {
    const std::string candidate = path.empty() ? args[j] : path + " " + args[j];
    const bool command = std::any_of(commands().begin(), commands().end(),
                                     [&](const CommandSpec& c) { return names(c, candidate); });
    if (!command && !is_group(candidate)) {
      if (path.empty() || is_group(path)) f.unknown = candidate;
      break;
    }
    path = candidate;
    end = j + 1;
    if (command && !is_group(candidate)) break;
  }
  for (const auto& c : commands())
    if (names(c, path)) f.command = &c;
  if (!f.command && is_group(path)) f.group = path;
  if (f.command) f.unknown.clear();
  f.rest = before;
  f.rest.insert(f.rest.end(), args.begin() + static_cast<long>(end), args.end());
  return f;
}

bool asks_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "-h" || a == "--help"; });
}

int report(const Error& e, bool json, std::ostream& out) {
  log::error(e.message());
  if (json)
    out << nlohmann::json({{"error",
                            {{"class", error_code_name(e.code())},
                             {"exit_code", e.exit_code()},
                             {"message", e.message()}}}})
               .dump(2)
        << "\n";
  return e.exit_code();
}

std::string subcommand_names(const std::string& group) {
  std::string names;
  for (const auto& c : commands())
    if (c.path.rfind(group + " ", 0) == 0)
      names += (names.empty() ? "" : ", ") + std::string(c.path.substr(group.size() + 1));
  return names;
}

int run_found(const Found& f, bool json, std::ostream& out, std::ostream& err) {
  if (!f.unknown.empty()) {
    const auto space = f.unknown.rfind(' ');
    const std::string message = space == std::string::npos
                                    ? "unknown command '" + f.unknown + "' (see 'trustctl --help')"
                                    : "unknown command 'trustctl " + f.unknown + "' (one of " +
                                          subcommand_names(f.unknown.substr(0, space)) + ")";
    return report(Error(ErrorCode::kUsage, message), json, out);
  }
  if (!f.command && !f.group.empty()) {
    if (f.help_word || asks_help(f.rest)) {
      out << group_help(f.group);
      return 0;
    }
    return report(Error(ErrorCode::kUsage, "trustctl " + f.group +
                                               " needs a command: " + subcommand_names(f.group) +
                                               " (see 'trustctl " + f.group + " --help')"),
                  json, out);
  }
  if (!f.command) {
    const bool help = f.help_word || asks_help(f.rest);
    (help ? out : err) << top_help();
    return help ? 0 : 2;
  }
  if (f.help_word) {
    out << command_help(*f.command);
    return 0;
  }
  bool help = false;
  auto ctx = parse_command(*f.command, f.rest, out, err, help);
  if (!ctx) return report(ctx.error(), json, out);
  if (help) {
    out << command_help(*f.command);
    return 0;
  }
  auto status = f.command->run(*ctx);
  out.flush();
  if (status) return 0;
  if (ctx->error_reported) return status.error().exit_code();  // the command reported it
  return report(status.error(), json, out);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const bool json = wants_json(args);
  std::vector<std::string> words = args;
  if (std::find(words.begin(), words.end(), "--version") != words.end() &&
      !find_command(words).command)
    words = {"version"};
  try {
    return run_found(find_command(words), json, out, err);
  } catch (const std::exception& e) {
    return report(Error(ErrorCode::kInternal, std::string("internal error: ") + e.what()), json,
                  out);
  }
}

}  // namespace trustctl::cli
