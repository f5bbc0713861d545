// trustctl-testenv: test registries for shell scripts (README demo, benchmarks).
//
//   trustctl-testenv start DIR [--tls] [--htpasswd U:P] [--token U:P] [--token-alg ES256|RS256]
//                              [--no-delete] [--relative-urls]
//       Starts a registry (and token server) that outlive this command; writes DIR/env
//       (REGISTRY_URL REGISTRY_HOST REGISTRY_CACERT REGISTRY_CERTDIR REGISTRY_USER
//       REGISTRY_PASSWORD TOKEN_URL), DIR/registry.pid, DIR/token.pid; prints the URL.
//   trustctl-testenv stop DIR [--purge]
//       Stops exactly those PIDs (after checking their command lines); --purge removes DIR.
#include <iostream>
#include <string>
#include <vector>

#include "support/registry_harness.h"

namespace {

using trustctl::testing::Credentials;
using trustctl::testing::RegistryOptions;
using trustctl::testing::TestRegistry;
using trustctl::testing::TokenAlgorithm;

constexpr char kUsage[] =
    "usage: trustctl-testenv start DIR [--tls] [--htpasswd U:P] [--token U:P]\n"
    "                              [--token-alg ES256|RS256] [--no-delete] [--relative-urls]\n"
    "       trustctl-testenv stop DIR [--purge]\n";

int usage_error(const std::string& message) {
  std::cerr << "trustctl-testenv: " << message << "\n" << kUsage;
  return 2;
}

bool parse_credentials(const std::string& text, Credentials& out) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  out = {text.substr(0, colon), text.substr(colon + 1)};
  return true;
}

int start(const std::string& dir, const std::vector<std::string>& args) {
  RegistryOptions options;
  options.base_dir = dir;
  options.keep_dir = true;
  options.detached = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--tls") {
      options.tls = true;
    } else if (a == "--no-delete") {
      options.delete_enabled = false;
    } else if (a == "--relative-urls") {
      options.relative_urls = true;
    } else if (a == "--htpasswd" || a == "--token") {
      const std::string* v = next();
      Credentials c;
      if (v == nullptr || !parse_credentials(*v, c)) return usage_error(a + " wants USER:PASSWORD");
      (a == "--token" ? options.token : options.htpasswd) = c;
    } else if (a == "--token-alg") {
      const std::string* v = next();
      if (v != nullptr && *v == "ES256")
        options.token_algorithm = TokenAlgorithm::kEs256;
      else if (v != nullptr && *v == "RS256")
        options.token_algorithm = TokenAlgorithm::kRs256;
      else
        return usage_error("--token-alg wants ES256 or RS256");
    } else {
      return usage_error("unknown option " + a);
    }
  }
  if (options.htpasswd && options.token) return usage_error("--htpasswd and --token exclude");
  auto reg = TestRegistry::start(options);
  if (!reg) {
    std::cerr << "trustctl-testenv: " << reg.error().message() << "\n";
    return 1;
  }
  (*reg)->release();
  std::cout << (*reg)->url() << "\n";
  return 0;
}

int stop(const std::string& dir, const std::vector<std::string>& args) {
  bool purge = false;
  for (const auto& a : args) {
    if (a == "--purge")
      purge = true;
    else
      return usage_error("unknown option " + a);
  }
  auto st = TestRegistry::stop_dir(dir, purge);
  if (!st) {
    std::cerr << "trustctl-testenv: " << st.error().message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() < 2) return usage_error("missing command or DIR");
  std::string command = args[0], dir = args[1];
  std::vector<std::string> rest(args.begin() + 2, args.end());
  if (command == "start") return start(dir, rest);
  if (command == "stop") return stop(dir, rest);
  return usage_error("unknown command " + command);
}
