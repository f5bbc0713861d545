// trustctl login / logout: credentials in docker's config.json, so docker and skopeo share them.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "registry_access.h"
#include "trustctl/auth/credentials.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

std::string registry_argument(const Parsed& p) {
  if (p.positional.empty()) return std::string(registry::kDefaultRegistry);
  std::string host = auth::normalize_config_key(p.positional[0]);
  return host;
}

std::string api_host_for(const std::string& registry_host) {
  return registry_host == registry::kDefaultRegistry ? "registry-1.docker.io" : registry_host;
}

Status login(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Check credentials against a registry and store them in docker's "
                           "config.json ($DOCKER_CONFIG or ~/.docker), through its credential "
                           "helper when one is configured.\n\nUsage: trustctl login [flags] "
                           "[REGISTRY]");
  options.add_options()("u,username", "User name", cxxopts::value<std::string>())(
      "p,password", "Password (prefer --password-stdin)", cxxopts::value<std::string>())(
      "password-stdin", "Read the password from standard input");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() > 1) return Error(ErrorCode::kUsage, "login takes at most one registry");
  const std::string host = registry_argument(p);

  auth::Credentials creds;
  if (p.flags.count("username")) creds.username = p.flags["username"].as<std::string>();
  if (p.flags.count("password") && p.flags.count("password-stdin"))
    return Error(ErrorCode::kUsage, "--password and --password-stdin are mutually exclusive");
  if (p.flags.count("password")) {
    creds.password = p.flags["password"].as<std::string>();
    log::warn("--password on the command line is visible to other users; use --password-stdin");
  } else if (p.flags.count("password-stdin")) {
    std::getline(std::cin, creds.password);
    if (!creds.password.empty() && creds.password.back() == '\r') creds.password.pop_back();
  }
  if (creds.username.empty() || creds.password.empty()) {
    return Error(ErrorCode::kUsage,
                 "login needs --username and a password (--password-stdin), e.g. "
                 "echo \"$PASS\" | trustctl login -u alice --password-stdin " +
                     host);
  }

  auth::Credentials given = creds;
  auto client =
      connect_registry(api_host_for(host), p.global,
                       [given](const std::string&) -> Result<std::optional<auth::Credentials>> {
                         return std::optional<auth::Credentials>(given);
                       });
  if (auto st = client->ping(); !st) return st.error().wrap("login to " + host + " failed");

  auth::DockerConfig config;
  TRY(config.store(host, creds));
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << nlohmann::json(
                    {{"registry", host}, {"status", "login succeeded"}, {"config", config.path()}})
                    .dump(2)
             << "\n";
  } else {
    *inv.out << "Login succeeded: " << host << " (saved in " << config.path() << ")\n";
  }
  return {};
}

Status logout(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Remove stored credentials for a registry.\n\nUsage: trustctl logout "
                           "[REGISTRY]");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() > 1) return Error(ErrorCode::kUsage, "logout takes at most one registry");
  const std::string host = registry_argument(p);
  auth::DockerConfig config;
  TRY(config.erase(host));
  if (p.global.output == OutputFormat::kJson)
    *inv.out << nlohmann::json({{"registry", host}, {"status", "logged out"}}).dump(2) << "\n";
  else
    *inv.out << "Removed credentials for " << host << "\n";
  return {};
}

}  // namespace

Command login_command() { return {"login", "Log in to a registry (docker config.json)", login}; }
Command logout_command() { return {"logout", "Remove stored registry credentials", logout}; }

}  // namespace trustctl::cli
