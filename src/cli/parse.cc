#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ostream>
#include <sstream>

#include "command.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

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
      seconds > 86400) {
    return Error(ErrorCode::kUsage, std::string(source) +
                                        " wants seconds, more than 0 and at most "
                                        "86400, not '" +
                                        text + "'");
  }
  return std::max(1L, static_cast<long>(seconds * 1000));
}

}  // namespace

Result<Parsed> parse(cxxopts::Options& options, const Invocation& inv) {
  options.add_options("Global")("o,output", "Output format: text or json",
                                cxxopts::value<std::string>()->default_value("text"))(
      "d,debug", "Print debug diagnostics on stderr (never secrets)")(
      "trust-dir", "Trust dir (default $TRUSTCTL_TRUST_DIR or ~/.trustctl)",
      cxxopts::value<std::string>())(
      "insecure-registry", "Allow plain HTTP and unverified TLS for this registry (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "timeout",
      "Seconds a registry request may stall; also the base of its deadline (default 30, "
      "$TRUSTCTL_TIMEOUT)",
      cxxopts::value<std::string>())("h,help", "Show this help");
  options.add_options("Positional")("positional", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"positional"});

  std::vector<std::string> argv_store;
  argv_store.push_back(inv.program);
  for (const auto& a : inv.args) argv_store.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());

  Parsed parsed;
  try {
    parsed.flags = options.parse(argc, argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    return Error(ErrorCode::kUsage, std::string(e.what()) + " (see '" + inv.program + " --help')");
  }
  const auto& f = parsed.flags;
  if (f.count("help")) {
    std::vector<std::string> groups;
    for (const auto& g : options.groups())
      if (g != "Positional") groups.push_back(g);
    std::string text = options.help(groups);
    // cxxopts writes a generic "Usage:" block of its own; where the description already has
    // the command's real usage line, that generic one only repeats it less precisely.
    const std::string generic = "Usage:\n  " + inv.program + " [OPTION...]";
    const auto at = text.find(generic);
    if (at != std::string::npos && text.find("Usage:") < at) {
      const auto end = text.find('\n', at + generic.size());
      text.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
    }
    *inv.out << text;
    parsed.help = true;
    return parsed;
  }
  if (f.count("positional")) parsed.positional = f["positional"].as<std::vector<std::string>>();

  const std::string out = f["output"].as<std::string>();
  if (out == "json") {
    parsed.global.output = OutputFormat::kJson;
  } else if (out != "text") {
    return Error(ErrorCode::kUsage, "unknown output format '" + out + "': use text or json");
  }
  parsed.global.debug = f.count("debug") > 0;
  if (parsed.global.debug) log::set_level(log::Level::kDebug);

  if (f.count("trust-dir")) {
    parsed.global.trust_dir = f["trust-dir"].as<std::string>();
  } else if (auto v = env_value("TRUSTCTL_TRUST_DIR")) {
    parsed.global.trust_dir = *v;
  } else {
    parsed.global.trust_dir = fs::home_dir() + "/.trustctl";
  }
  if (f.count("insecure-registry"))
    parsed.global.insecure_registries = f["insecure-registry"].as<std::vector<std::string>>();
  if (auto v = env_value("TRUSTCTL_INSECURE_REGISTRY")) {
    for (auto& host : split_commas(*v)) parsed.global.insecure_registries.push_back(host);
  }
  if (f.count("timeout")) {
    TRY_ASSIGN(parsed.global.timeout_ms,
               parse_timeout(f["timeout"].as<std::string>(), "--timeout"));
  } else if (auto v = env_value("TRUSTCTL_TIMEOUT")) {
    TRY_ASSIGN(parsed.global.timeout_ms, parse_timeout(*v, "TRUSTCTL_TIMEOUT"));
  }
  return parsed;
}

Status dispatch_subcommand(const Invocation& inv, const std::vector<Subcommand>& subs,
                           std::string_view usage) {
  const auto& value_flags = global_value_flags();
  std::vector<std::string> args = inv.args;
  int sub = -1;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (std::find(value_flags.begin(), value_flags.end(), args[i]) != value_flags.end()) {
      ++i;
      continue;
    }
    if (!args[i].empty() && args[i][0] != '-') {
      sub = static_cast<int>(i);
      break;
    }
  }
  std::string names;
  for (const auto& s : subs) names += (names.empty() ? "" : ", ") + s.names.front();
  if (sub < 0) {
    for (const auto& a : args) {
      if (a == "-h" || a == "--help") {
        *inv.out << usage;
        return {};
      }
    }
    return Error(ErrorCode::kUsage, inv.program + " needs a command: " + names + " (see '" +
                                        inv.program + " --help')");
  }
  const std::string name = args[static_cast<std::size_t>(sub)];
  args.erase(args.begin() + sub);
  for (const auto& s : subs) {
    if (std::find(s.names.begin(), s.names.end(), name) == s.names.end()) continue;
    return s.run(Invocation{inv.program + " " + name, std::move(args), inv.out, inv.err});
  }
  return Error(ErrorCode::kUsage,
               "unknown command '" + inv.program + " " + name + "' (one of " + names + ")");
}

}  // namespace trustctl::cli
