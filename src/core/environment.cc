#include "trustctl/core/environment.h"

#include <cstdlib>

namespace trustctl {

const std::vector<EnvVar>& known_environment() {
  static const std::vector<EnvVar> kVars = {
      {"TRUSTCTL_TRUST_DIR", "trust dir holding keys and trusted metadata (default ~/.trustctl)",
       false},
      {"TRUSTCTL_INSECURE_REGISTRY",
       "comma-separated registries allowed over plain HTTP or unverified TLS", false},
      {"TRUSTCTL_TIMEOUT",
       "seconds a registry request may stall, also the base of its deadline (default 30; "
       "--timeout wins)",
       false},
      {"TRUSTCTL_TOFU", "1 allows trust on first use of an unknown root without a TTY", false},
      {"TRUSTCTL_CONTENT_TRUST",
       "0 lets 'trustctl pull' take unsigned images (like --disable-content-trust)", false},
      {"TRUSTCTL_ROOT_PASSPHRASE", "passphrase of the root key", true},
      {"TRUSTCTL_REPOSITORY_PASSPHRASE",
       "passphrase of targets (and by default snapshot and "
       "timestamp) keys",
       true},
      {"TRUSTCTL_SNAPSHOT_PASSPHRASE", "passphrase of the snapshot key", true},
      {"TRUSTCTL_TIMESTAMP_PASSPHRASE", "passphrase of the timestamp key", true},
      {"TRUSTCTL_DELEGATION_PASSPHRASE", "passphrase of delegation (signer) keys", true},
      {"TRUSTCTL_NEW_PASSPHRASE", "new passphrase for 'trustctl key passwd'", true},
      {"DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "alias of TRUSTCTL_ROOT_PASSPHRASE", true},
      {"DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "alias of TRUSTCTL_REPOSITORY_PASSPHRASE",
       true},
      {"DOCKER_CONTENT_TRUST_SNAPSHOT_PASSPHRASE", "alias of TRUSTCTL_SNAPSHOT_PASSPHRASE", true},
      {"DOCKER_CONTENT_TRUST_TIMESTAMP_PASSPHRASE", "alias of TRUSTCTL_TIMESTAMP_PASSPHRASE", true},
      {"DOCKER_CONTENT_TRUST_DELEGATION_PASSPHRASE", "alias of TRUSTCTL_DELEGATION_PASSPHRASE",
       true},
      {"DOCKER_CONFIG", "folder of docker's config.json (registry credentials)", false},
      {"HOME", "locates ~/.trustctl, ~/.docker/config.json and ~/.docker/certs.d", false},
  };
  return kVars;
}

std::optional<std::string> env_value(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

}  // namespace trustctl
