// Users of the trustctl binary for integration tests: an owner or a CI runner with a home and a
// trust dir, and an attacker with push rights to the registry and no keys.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "registry_env.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/registry/client.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::testing {

inline const char* kRootPass = "TRUSTCTL_ROOT_PASSPHRASE=root-secret-1";
inline const char* kRepoPass = "TRUSTCTL_REPOSITORY_PASSPHRASE=repo-secret-1";

// One user of trustctl: a home (docker config, certs.d) and a trust dir.
struct User {
  TempDir home;
  std::vector<std::string> env;
  explicit User(const TestRegistry& reg) {
    if (reg.tls()) make_certs_root(reg, home.path + "/.docker");
    env = {"HOME=" + home.path, "TRUSTCTL_TRUST_DIR=" + home.path + "/trust",    kRootPass,
           kRepoPass,           "TRUSTCTL_DELEGATION_PASSPHRASE=deleg-secret-1", "TRUSTCTL_TOFU=0"};
  }
  ProcessOutput run(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"env", "-u", "DOCKER_CONFIG"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(TRUSTCTL_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv);  // stdin is a pipe: never a TTY
    REQUIRE(r.ok());
    return *r;
  }
  void login(const TestRegistry& reg) const {
    if (reg.username().empty()) return;
    std::vector<std::string> argv = {"env", "-u", "DOCKER_CONFIG"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(),
                {TRUSTCTL_BIN, "login", "-u", reg.username(), "--password-stdin", reg.host_port()});
    auto r = run_process(argv, reg.password() + "\n");
    REQUIRE(r.ok());
    INFO(r->err);
    REQUIRE(r->exit_status == 0);
  }
};

// Whether the user's trust dir holds a trusted root of `repo` (saved state, not a pin).
inline bool has_trusted_root(const User& u, const std::string& repo) {
  auto ref = registry::Reference::parse(repo);
  REQUIRE(ref.ok());
  auto trusted = trust::TrustDir(u.home.path + "/trust").has_trusted_root(*ref);
  REQUIRE(trusted.ok());
  return *trusted;
}

inline std::string digest_line(const ProcessOutput& o) {
  std::string s = o.out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The attacker: push rights, no keys. Copies trust manifests and their blobs around.
struct Attacker {
  std::unique_ptr<registry::RegistryClient> client;
  Attacker(const TestRegistry& reg, const std::string& scratch)
      : client(client_for(reg, scratch)) {}
  registry::Manifest trust_manifest(const std::string& repo) {
    auto m = client->get_manifest(repo, std::string(truststore::kReservedTag));
    REQUIRE(m.ok());
    return *m;
  }
  void put_trust_manifest(const std::string& from_repo, const registry::Manifest& m,
                          const std::string& to_repo) {
    for (const auto& l : m.layers) {
      auto bytes = client->fetch_blob(from_repo, l.digest, 1 << 20);
      REQUIRE(bytes.ok());
      REQUIRE(client->push_blob(to_repo, *bytes).ok());
    }
    auto cfg = client->fetch_blob(from_repo, m.config.digest, 100);
    REQUIRE(cfg.ok());
    REQUIRE(client->push_blob(to_repo, *cfg).ok());
    REQUIRE(client
                ->put_manifest(to_repo, std::string(truststore::kReservedTag),
                               m.descriptor.media_type, m.bytes)
                .ok());
  }
};

}  // namespace trustctl::testing
