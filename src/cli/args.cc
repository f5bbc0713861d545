#include "args.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cxxopts.hpp>
#include <sstream>

#include "trustctl/core/environment.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

const std::vector<FlagSpec>& global_flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"output", 'o', "FORMAT", "Output format: text or json (admit: also sarif)", ValueKind::kText,
       false, "text"},
      {"debug", 'd', "", "Debug diagnostics on stderr (never secrets)"},
      {"trust-dir", '\0', "DIR", "Trust dir (default $TRUSTCTL_TRUST_DIR or ~/.trustctl)",
       ValueKind::kDir},
      {"insecure-registry", '\0', "HOST[:PORT]",
       "Allow plain HTTP and unverified TLS for this registry (repeatable; also "
       "$TRUSTCTL_INSECURE_REGISTRY)",
       ValueKind::kRegistry, true},
      {"timeout", '\0', "SECONDS",
       "A registry request may stall this long; its deadline is this plus its size at 64 KiB/s "
       "(default 30, $TRUSTCTL_TIMEOUT)",
       ValueKind::kNumber},
      {"help", 'h', "", "Show this help"},
  };
  return kFlags;
}

const std::vector<FlagSpec>& trust_flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"tofu", '\0', "",
       "Trust an unknown root on first use (also TRUSTCTL_TOFU=1; implied on a terminal)"},
      {"trust-repository", '\0', "PATH",
       "Accept trust data made for this repository path (an explicitly mapped mirror)",
       ValueKind::kText},
  };
  return kFlags;
}

const std::vector<FlagSpec>& publish_flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"accept-state", '\0', "VERSION",
       "Re-sign the registry's trust data although this trust dir vouches for none of its "
       "states, if it shows exactly this timestamp version (checked by you; docs/operations.md)",
       ValueKind::kNumber},
  };
  return kFlags;
}

// Every flag the command accepts, in help order: its own, its groups', the global ones.
std::vector<std::pair<std::string, const std::vector<FlagSpec>*>> flag_sections(
    const CommandSpec& spec) {
  std::vector<std::pair<std::string, const std::vector<FlagSpec>*>> out;
  if (!spec.flags.empty()) out.emplace_back("Flags", &spec.flags);
  if (spec.groups & kTrustFlags) out.emplace_back("Trust flags", &trust_flags());
  if (spec.groups & kPublishFlags) out.emplace_back("Publishing flags", &publish_flags());
  out.emplace_back("Global flags", &global_flags());
  return out;
}

std::string option_name(const FlagSpec& f) {
  return f.short_name ? std::string(1, f.short_name) + "," + std::string(f.name)
                      : std::string(f.name);
}

void add_flags(cxxopts::Options& options, const std::vector<FlagSpec>& flags) {
  auto adder = options.add_options();
  for (const auto& f : flags) {
    if (f.value.empty())
      adder(option_name(f), std::string(f.help));
    else if (f.repeatable)
      adder(option_name(f), std::string(f.help), cxxopts::value<std::vector<std::string>>());
    else
      adder(option_name(f), std::string(f.help), cxxopts::value<std::string>());
  }
}

void collect_flags(const cxxopts::ParseResult& result, const std::vector<FlagSpec>& flags,
                   std::map<std::string, std::vector<std::string>>& out) {
  for (const auto& f : flags) {
    const std::string name(f.name);
    if (!result.count(name)) continue;
    if (f.value.empty())
      out[name] = {""};
    else if (f.repeatable)
      out[name] = result[name].as<std::vector<std::string>>();
    else
      out[name] = {result[name].as<std::string>()};
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Seconds (a decimal such as 2.5 is fine) within (0, 1 day], as milliseconds.
Result<long> parse_timeout(const std::string& text, std::string_view source) {
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !(seconds > 0) ||
      seconds > 86400)
    return Error(
        ErrorCode::kUsage,
        std::string(source) + " wants seconds, more than 0 and at most 86400, not '" + text + "'");
  return std::max(1L, static_cast<long>(seconds * 1000));
}

Result<GlobalOptions> global_options(const std::map<std::string, std::vector<std::string>>& flags) {
  GlobalOptions g;
  auto last = [&](const char* name) -> std::optional<std::string> {
    auto it = flags.find(name);
    if (it == flags.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  };
  const std::string out = last("output").value_or("text");
  if (out == "json")
    g.output = OutputFormat::kJson;
  else if (out == "sarif")
    g.output = OutputFormat::kSarif;
  else if (out != "text")
    return Error(ErrorCode::kUsage, "unknown output format '" + out + "': use text or json");
  g.debug = flags.count("debug") > 0;
  if (auto dir = last("trust-dir"))
    g.trust_dir = *dir;
  else if (auto v = env_value("TRUSTCTL_TRUST_DIR"))
    g.trust_dir = *v;
  else
    g.trust_dir = fs::home_dir() + "/.trustctl";
  if (auto it = flags.find("insecure-registry"); it != flags.end())
    g.insecure_registries = it->second;
  if (auto v = env_value("TRUSTCTL_INSECURE_REGISTRY"))
    for (auto& host : split_commas(*v)) g.insecure_registries.push_back(host);
  if (auto t = last("timeout")) {
    TRUSTCTL_TRY_ASSIGN(g.timeout_ms, parse_timeout(*t, "--timeout"));
  } else if (auto v = env_value("TRUSTCTL_TIMEOUT")) {
    TRUSTCTL_TRY_ASSIGN(g.timeout_ms, parse_timeout(*v, "TRUSTCTL_TIMEOUT"));
  }
  return g;
}

std::string positional_usage(const CommandSpec& spec) {
  std::string out;
  for (const auto& p : spec.positionals) {
    std::string one(p.name);
    if (p.max != 1) one += "...";
    if (p.min == 0) one = "[" + one + "]";
    out += (out.empty() ? "" : " ") + one;
  }
  return out;
}

Status check_positionals(const CommandSpec& spec, const std::vector<std::string>& args,
                         const std::string& program) {
  int min = 0;
  int max = 0;
  for (const auto& p : spec.positionals) {
    min += p.min;
    max = (max < 0 || p.max < 0) ? -1 : max + p.max;
  }
  const int n = static_cast<int>(args.size());
  const std::string see = " (see '" + program + " --help')";
  if (n < min) return Error(ErrorCode::kUsage, program + " needs " + positional_usage(spec) + see);
  if (max >= 0 && n > max) {
    if (max == 0)
      return Error(ErrorCode::kUsage,
                   program + " takes no arguments, not '" + args.front() + "'" + see);
    return Error(ErrorCode::kUsage, program + " takes " + positional_usage(spec) + ", not also '" +
                                        args[static_cast<std::size_t>(max)] + "'" + see);
  }
  return {};
}

// Wraps paragraphs at `width` columns, indented by `indent`; lines that start with a space are
// kept as written (examples, tables).
std::string wrap(std::string_view text, std::size_t indent, std::size_t width = 80) {
  std::string out;
  const std::string pad(indent, ' ');
  std::istringstream lines{std::string(text)};
  std::string paragraph;
  auto flush = [&] {
    if (paragraph.empty()) return;
    std::istringstream words(paragraph);
    std::string line = pad;
    for (std::string w; words >> w;) {
      if (line.size() > indent && line.size() + 1 + w.size() > width) {
        out += line + "\n";
        line = pad;
      }
      line += (line.size() > indent ? " " : "") + w;
    }
    out += line + "\n";
    paragraph.clear();
  };
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      flush();
      out += "\n";
    } else if (line.front() == ' ') {
      flush();
      out += pad + line + "\n";
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  flush();
  return out;
}

// "  -y, --yes              Do not ask" rows, the help wrapped under its column.
void flag_rows(std::ostringstream& out, const std::vector<FlagSpec>& flags) {
  constexpr std::size_t kColumn = 30;
  for (const auto& f : flags) {
    std::string left = f.short_name ? std::string("  -") + f.short_name + ", " : "      ";
    left += "--" + std::string(f.name);
    if (!f.value.empty()) left += " " + std::string(f.value);
    std::string help(f.help);
    if (!f.fallback.empty()) help += " (default " + std::string(f.fallback) + ")";
    if (f.repeatable && help.find("repeatable") == std::string::npos) help += " (repeatable)";
    std::string body = wrap(help, kColumn);
    if (left.size() + 2 <= kColumn) {
      out << left << body.substr(left.size());
    } else {
      out << left << "\n" << body;
    }
  }
}

}  // namespace

bool is_global_value_flag(std::string_view word) {
  for (const auto& f : global_flags()) {
    if (f.value.empty()) continue;
    if (word == "--" + std::string(f.name)) return true;
    if (f.short_name && word == std::string("-") + f.short_name) return true;
  }
  return false;
}

bool wants_json(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-o" || a == "--output") && i + 1 < args.size() && args[i + 1] == "json") return true;
    if (a == "-ojson" || a == "--output=json") return true;
  }
  return false;
}

Result<Context> parse_command(const CommandSpec& spec, const std::vector<std::string>& args,
                              std::ostream& out, std::ostream& err, bool& help) {
  const std::string program = "trustctl " + std::string(spec.path);
  cxxopts::Options options(program);
  for (const auto& [title, flags] : flag_sections(spec)) add_flags(options, *flags);
  options.add_options()("positional", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"positional"});
  std::vector<std::string> argv_store = {program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  cxxopts::ParseResult result;
  try {
    result = options.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    return Error(ErrorCode::kUsage, std::string(e.what()) + " (see '" + program + " --help')");
  }
  Context ctx{spec, {}, {}, {}, out, err, false};
  for (const auto& [title, flags] : flag_sections(spec)) collect_flags(result, *flags, ctx.flags);
  help = ctx.flags.count("help") > 0;
  if (help) return ctx;
  TRUSTCTL_TRY_ASSIGN(ctx.global, global_options(ctx.flags));
  if (ctx.global.output == OutputFormat::kSarif && !(spec.groups & kSarifOutput))
    return Error(ErrorCode::kUsage,
                 "-o sarif is for trustctl admit; " + program + " prints text or json");
  if (ctx.global.debug) log::set_level(log::Level::kDebug);
  if (result.count("positional")) ctx.args = result["positional"].as<std::vector<std::string>>();
  TRUSTCTL_TRY(check_positionals(spec, ctx.args, program));
  return ctx;
}

std::string usage_line(const CommandSpec& spec) {
  const std::string args = positional_usage(spec);
  return "trustctl " + std::string(spec.path) + (args.empty() ? "" : " " + args) + " [flags]";
}

std::string command_help(const CommandSpec& spec) {
  std::ostringstream out;
  out << "Usage: " << usage_line(spec) << "\n\n" << wrap(spec.description, 0);
  if (!spec.positionals.empty()) {
    out << "\nArguments:\n";
    for (const auto& p : spec.positionals) {
      std::string left = "  " + std::string(p.name);
      std::string body = wrap(p.help, 30);
      out << (left.size() + 2 <= 30 ? left + body.substr(left.size()) : left + "\n" + body);
    }
  }
  for (const auto& [title, flags] : flag_sections(spec)) {
    out << "\n" << title << ":\n";
    flag_rows(out, *flags);
  }
  if (!spec.env.empty()) {
    out << "\nEnvironment:\n";
    for (const auto& name : spec.env) {
      std::string desc;
      for (const auto& var : known_environment())
        if (var.name == name) desc = std::string(var.description);
      out << "  " << name << "\n" << wrap(desc, 6);
    }
  }
  if (!spec.examples.empty()) {
    out << "\nExamples:\n";
    for (const auto& e : spec.examples) out << "  " << e << "\n";
  }
  return out.str();
}

std::string group_help(std::string_view group) {
  std::ostringstream out;
  std::string_view summary;
  for (const auto& g : command_groups())
    if (g.name == group) summary = g.summary;
  out << "Usage: trustctl " << group << " COMMAND [flags] [arguments]\n\n"
      << wrap(summary, 0) << "\nCommands:\n";
  const std::string prefix = std::string(group) + " ";
  for (const auto& c : commands()) {
    if (c.path.substr(0, prefix.size()) != prefix) continue;
    std::string usage = usage_line(c).substr(std::string("trustctl ").size());
    out << "  " << usage << "\n" << wrap(c.summary, 6);
  }
  out << "\nRun 'trustctl " << group << " COMMAND --help' for a command's flags and examples.\n";
  return out.str();
}

std::string top_help() {
  std::ostringstream out;
  out << "trustctl: sign and verify container image tags with TUF trust data kept in the "
         "registry.\n\nUsage: trustctl [global flags] COMMAND [flags] [arguments]\n\nCommands:\n";
  auto row = [&](std::string_view name, std::string_view summary) {
    std::string left = "  " + std::string(name);
    left.resize(16, ' ');
    out << left << wrap(summary, 16).substr(16);
  };
  std::vector<std::string_view> groups_shown;
  for (const auto& c : commands()) {
    const auto space = c.path.find(' ');
    if (space == std::string_view::npos) {
      row(c.path, c.summary);
      continue;
    }
    const std::string_view group = c.path.substr(0, space);
    if (std::find(groups_shown.begin(), groups_shown.end(), group) != groups_shown.end()) continue;
    groups_shown.push_back(group);
    for (const auto& g : command_groups())
      if (g.name == group) row(group, g.summary);
  }
  out << "  help          Show the help of a command: trustctl help COMMAND\n";
  out << "\nGlobal flags:\n";
  std::ostringstream flags;
  flag_rows(flags, global_flags());
  out << flags.str()
      << "\nExit codes: 0 ok, 1 internal, 2 usage, 3 network, 4 auth, 10 no trust data,\n"
         "11 not found, 12 verification failed, 13 expired/rollback, 15 pushed but not signed\n"
         "(docs/exit-codes.md).\n"
         "Run 'trustctl COMMAND --help' for a command's flags and examples.\n";
  return out.str();
}

bool Context::has(std::string_view flag) const { return flags.count(std::string(flag)) > 0; }

std::optional<std::string> Context::value(std::string_view flag) const {
  auto it = flags.find(std::string(flag));
  if (it != flags.end() && !it->second.empty()) return it->second.back();
  for (const auto& f : spec.flags)
    if (f.name == flag && !f.fallback.empty()) return std::string(f.fallback);
  return std::nullopt;
}

std::vector<std::string> Context::values(std::string_view flag) const {
  auto it = flags.find(std::string(flag));
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

Result<std::optional<std::int64_t>> Context::number(std::string_view flag) const {
  auto text = value(flag);
  if (!text) return std::optional<std::int64_t>();
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || end != text->c_str() + text->size() || errno != 0)
    return Error(ErrorCode::kUsage,
                 "--" + std::string(flag) + " wants a whole number, not '" + *text + "'");
  return std::optional<std::int64_t>(n);
}

std::string Context::program() const { return "trustctl " + std::string(spec.path); }

}  // namespace trustctl::cli
