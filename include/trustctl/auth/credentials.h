// Registry credentials the way docker keeps them: ~/.docker/config.json (auths, credsStore,
// credHelpers) and docker-credential-* helper programs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::auth {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token (config "identitytoken", helper "<token>")
  std::string registry_token;  // bearer token sent as is (config "registrytoken")
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() &&
           registry_token.empty();
  }
};

// The key docker uses for a registry in config.json: "https://index.docker.io/v1/" for
// docker.io (and its aliases), the bare "host[:port]" otherwise.
std::string config_key_for(std::string_view registry_host);

// Reduces a config.json key ("https://host:5000/v1/", "host:5000", "http://host") to
// "host[:port]"; docker.io's aliases become "docker.io".
std::string normalize_config_key(std::string_view key);

class DockerConfig {
 public:
  // $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
  static std::string default_path();
  explicit DockerConfig(std::string path = default_path());

  const std::string& path() const { return path_; }

  // credHelpers[host], then credsStore, then auths[host]. nullopt when nothing is stored
  // (a helper answering "credentials not found" counts as nothing). A malformed config file or
  // a failing helper is an error naming the file or the helper.
  Result<std::optional<Credentials>> lookup(std::string_view registry_host) const;

  // `login`: through the helper in credHelpers/credsStore if one is configured, else into
  // auths[host].auth (base64 user:password). The file keeps all its other fields, is written
  // atomically with mode 0600, and its folder is created 0700.
  Status store(std::string_view registry_host, const Credentials& credentials) const;

  // `logout`: removes the entry (and asks the helper to erase). Absent is not an error.
  Status erase(std::string_view registry_host) const;

 private:
  std::string path_;
};

}  // namespace trustctl::auth
