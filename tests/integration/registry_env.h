// Shared set-up for integration tests: a RegistryClient configured for a TestRegistry.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "support/fixtures.h"
#include "support/registry_harness.h"
#include "support/temp_dir.h"
#include "trustctl/core/fs.h"
#include "trustctl/registry/client.h"

namespace trustctl::testing {

inline std::unique_ptr<TestRegistry> start_registry(RegistryOptions options = {}) {
  auto reg = TestRegistry::start(std::move(options));
  INFO((reg.ok() ? std::string() : reg.error().message()));
  REQUIRE(reg.ok());
  return std::move(reg).value();
}

// A certs.d root holding <host:port>/ca.crt for `reg` (and for its HTTPS token server), docker
// style.
inline std::string make_certs_root(const TestRegistry& reg, const std::string& under) {
  std::vector<std::string> hosts = {reg.host_port()};
  if (!reg.token_host_port().empty()) hosts.push_back(reg.token_host_port());
  for (const auto& host : hosts) {
    std::string dir = under + "/certs.d/" + host;
    REQUIRE(fs::make_dirs(dir).ok());
    REQUIRE(
        fs::write_file_atomic(dir + "/ca.crt", fs::read_file(reg.ca_file()).value(), 0644).ok());
  }
  return under + "/certs.d";
}

inline auth::CredentialSource fixed_credentials(std::string user, std::string password) {
  return [user, password](const std::string&) -> Result<std::optional<auth::Credentials>> {
    if (user.empty()) return std::optional<auth::Credentials>();
    auth::Credentials c;
    c.username = user;
    c.password = password;
    return std::optional<auth::Credentials>(c);
  };
}

// A client for `reg` with its CA trusted and its own user's credentials.
inline std::unique_ptr<registry::RegistryClient> client_for(const TestRegistry& reg,
                                                            const std::string& scratch) {
  registry::RegistryOptions o;
  if (reg.tls())
    o.certs_dirs = {make_certs_root(reg, scratch)};
  else
    o.certs_dirs = {scratch + "/no-certs"};
  o.credentials = fixed_credentials(reg.username(), reg.password());
  o.http.backoff_ms = 20;
  return registry::RegistryClient::create(reg.host_port(), std::move(o));
}

}  // namespace trustctl::testing
