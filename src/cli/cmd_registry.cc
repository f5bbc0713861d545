// trustctl resolve (what the registry says, unverified by design), login and logout
// (credentials in docker's config.json, so docker and skopeo share them).
#include <iostream>

#include "registry_access.h"
#include "render/emit.h"
#include "render/registry.h"
#include "trustctl/auth/credentials.h"
#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxConfigBytes = 4 * 1024 * 1024;

// Platform and user from an image's config blob (verified against its digest). A config that is
// not JSON only lacks them; one nested without bound is hostile.
Status read_config(registry::RegistryClient& client, const std::string& repository,
                   ResolveReport& r) {
  TRUSTCTL_TRY_ASSIGN(auto bytes,
                      client.fetch_blob(repository, r.manifest.config.digest, kMaxConfigBytes));
  auto parsed =
      parse_untrusted_json(bytes, "config blob " + r.manifest.config.digest, ErrorCode::kProtocol);
  if (!parsed && parsed.error().code() == ErrorCode::kIntegrity) return parsed.error();
  const json j = parsed ? std::move(*parsed) : json();
  if (!j.is_object()) return {};
  registry::Platform p;
  if (j.contains("os") && j["os"].is_string()) p.os = j["os"];
  if (j.contains("architecture") && j["architecture"].is_string())
    p.architecture = j["architecture"];
  if (j.contains("variant") && j["variant"].is_string()) p.variant = j["variant"];
  if (!p.os.empty()) r.platform = p.string();
  if (j.contains("config") && j["config"].is_object() && j["config"].contains("User") &&
      j["config"]["User"].is_string())
    r.user = j["config"]["User"];
  return {};
}

Status resolve(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_reference(ctx.args[0]));
  auto client = connect_registry(ref.api_host(), ctx.global);
  ResolveReport report;
  report.reference = ref;
  TRUSTCTL_TRY_ASSIGN(report.manifest,
                      client->get_manifest(ref.repository, ref.reference_or("latest")));
  if (!report.manifest.is_index()) TRUSTCTL_TRY(read_config(*client, ref.repository, report));
  // Printing recurses over the value: only JSON of bounded depth (parse_manifest checked these
  // very bytes) gets here.
  TRUSTCTL_TRY_ASSIGN(report.manifest_json, parse_untrusted_json(report.manifest.bytes, "manifest",
                                                                 ErrorCode::kIntegrity));
  emit(ctx, report);
  return {};
}

// The registry host of login and logout: host[:port] (a URL is reduced to it, as docker does).
Result<std::string> registry_argument(const Context& ctx) {
  if (ctx.args.empty()) return std::string(registry::kDefaultRegistry);
  const std::string host = auth::normalize_config_key(ctx.args[0]);
  auto probe = registry::Reference::parse(host + "/probe");
  if (host.find('/') != std::string::npos || !probe || probe->registry != host)
    return Error(ErrorCode::kUsage, "'" + ctx.args[0] +
                                        "' is not a registry host[:port], e.g. "
                                        "registry.example:5000");
  return host;
}

std::string api_host_for(const std::string& registry_host) {
  return registry_host == registry::kDefaultRegistry ? "registry-1.docker.io" : registry_host;
}

Result<auth::Credentials> given_credentials(const Context& ctx, const std::string& host) {
  auth::Credentials creds;
  creds.username = ctx.value("username").value_or("");
  if (ctx.has("password") && ctx.has("password-stdin"))
    return Error(ErrorCode::kUsage, "--password and --password-stdin are mutually exclusive");
  if (auto password = ctx.value("password")) {
    creds.password = *password;
    log::warn("--password on the command line is visible to other users; use --password-stdin");
  } else if (ctx.has("password-stdin")) {
    std::getline(std::cin, creds.password);
    if (!creds.password.empty() && creds.password.back() == '\r') creds.password.pop_back();
  }
  if (creds.username.empty() || creds.password.empty())
    return Error(ErrorCode::kUsage,
                 "login needs --username and a password (--password-stdin), e.g. echo \"$PASS\" "
                 "| trustctl login -u alice --password-stdin " +
                     host);
  return creds;
}

Status login(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(const std::string host, registry_argument(ctx));
  TRUSTCTL_TRY_ASSIGN(auto creds, given_credentials(ctx, host));
  auto client =
      connect_registry(api_host_for(host), ctx.global,
                       [creds](const std::string&) -> Result<std::optional<auth::Credentials>> {
                         return std::optional<auth::Credentials>(creds);
                       });
  if (auto st = client->ping(); !st) return st.error().wrap("login to " + host + " failed");
  auth::DockerConfig config;
  TRUSTCTL_TRY(config.store(host, creds));
  emit(ctx, LoginReport{host, config.path()});
  return {};
}

Status logout(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(const std::string host, registry_argument(ctx));
  auth::DockerConfig config;
  TRUSTCTL_TRY(config.erase(host));
  emit(ctx, LogoutReport{host});
  return {};
}

const PositionalSpec kRegistry{"REGISTRY", "host[:port] (default Docker Hub)", ValueKind::kRegistry,
                               0, 1};

}  // namespace

std::vector<CommandSpec> registry_commands() {
  return {
      {"resolve",
       "Show what the registry says REF is (digest, type, platforms)",
       "Resolve REF through the registry and show its digest, media type, size and platforms "
       "(an index) or platform, user and layers (an image). This is the registry's unverified "
       "answer; 'trustctl verify' gives the trusted one.",
       {{"REF[:TAG|@DIGEST]", "the reference to resolve (no tag means latest)",
         ValueKind::kReference}},
       {},
       0,
       {"trustctl resolve localhost:5000/secure-app:v1",
        "trustctl resolve -o json localhost:5000/secure-app:multi"},
       {"DOCKER_CONFIG"},
       resolve},
      {"login",
       "Log in to a registry (docker config.json)",
       "Check credentials against a registry and store them in docker's config.json "
       "($DOCKER_CONFIG or ~/.docker), through its credential helper when one is configured.",
       {kRegistry},
       {{"username", 'u', "USER", "User name", ValueKind::kText},
        {"password", 'p', "PASSWORD", "Password (prefer --password-stdin)", ValueKind::kText},
        {"password-stdin", '\0', "", "Read the password from standard input"}},
       0,
       {"echo \"$PASS\" | trustctl login -u alice --password-stdin registry.example:5000"},
       {"DOCKER_CONFIG"},
       login},
      {"logout",
       "Remove stored registry credentials",
       "Remove the credentials stored for a registry.",
       {kRegistry},
       {},
       0,
       {"trustctl logout registry.example:5000"},
       {"DOCKER_CONFIG"},
       logout},
  };
}

}  // namespace trustctl::cli
