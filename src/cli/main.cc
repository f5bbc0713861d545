// trustctl: thin entry point; the commands live in cmd_*.cc.
#include <curl/curl.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

#include "command.h"
#include "trustctl/core/log.h"

namespace {

using trustctl::cli::commands;

void print_usage(std::ostream& out) {
  out << "trustctl: sign and verify container image tags with TUF trust data kept in the "
         "registry.\n\n"
         "Usage: trustctl [global flags] COMMAND [flags] [args]\n\nCommands:\n";
  for (const auto& c : commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nGlobal flags:\n"
         "  -o, --output text|json       Output format (default text)\n"
         "  -d, --debug                  Debug diagnostics on stderr\n"
         "      --trust-dir DIR          Trust dir (default ~/.trustctl)\n"
         "      --insecure-registry HOST Allow plain HTTP / unverified TLS for HOST\n"
         "      --timeout SECONDS        A registry request may stall this long; its deadline\n"
         "                               is this plus its size at 64 KiB/s (default 30,\n"
         "                               TRUSTCTL_TIMEOUT)\n"
         "  -h, --help                   Help (also after a command)\n\n"
         "Exit codes: 0 ok, 1 internal, 2 usage, 3 network, 4 auth, 10 no trust data,\n"
         "11 not found, 12 verification failed, 13 expired/rollback, 14 policy denied.\n";
}

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<std::string> args(argv + 1, argv + argc);
  int command_index = -1;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const auto& value_flags = trustctl::cli::global_value_flags();
    if (std::find(value_flags.begin(), value_flags.end(), a) != value_flags.end()) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') {
      command_index = static_cast<int>(i);
      break;
    }
  }
  if (command_index < 0) {
    for (const auto& a : args) {
      if (a == "--version") args = {"version"}, command_index = 0;
    }
  }
  if (command_index < 0) {
    bool help = false;
    for (const auto& a : args) help = help || a == "-h" || a == "--help";
    print_usage(help ? std::cout : std::cerr);
    return help ? 0 : 2;
  }
  const std::string name = args[static_cast<size_t>(command_index)];
  args.erase(args.begin() + command_index);
  for (const auto& c : commands()) {
    if (c.name != name) continue;
    trustctl::cli::Invocation inv{"trustctl " + name, args, &std::cout, &std::cerr};
    try {
      auto status = c.run(inv);
      std::cout.flush();
      if (!status) {
        trustctl::log::error(status.error().message());
        return status.error().exit_code();
      }
      return 0;
    } catch (const std::exception& e) {
      trustctl::log::error(std::string("internal error: ") + e.what());
      return 1;
    }
  }
  std::cerr << "error: unknown command '" << name << "' (see 'trustctl --help')\n";
  return 2;
}
