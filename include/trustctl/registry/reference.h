// Image references with docker's grammar and defaults:
//   [registry[:port]/]path[:tag][@digest]   e.g. localhost:5000/secure-app:signed
// "nginx" is docker.io/library/nginx; a reference without tag or digest has neither set (the
// caller chooses: `latest` for verify/sign/pull, every tag for inspect).
#pragma once

#include <string>
#include <string_view>

#include "trustctl/core/result.h"
#include "trustctl/http/http_client.h"

namespace trustctl::registry {

inline constexpr std::string_view kDefaultRegistry = "docker.io";

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "[::1]:5000"
  std::string repository;  // "library/nginx", "secure-app"
  std::string tag;         // may be empty
  std::string digest;      // "sha256:<hex>", may be empty

  // Parses and normalises; every failure is kUsage with a message naming the bad part.
  static Result<Reference> parse(std::string_view text);

  std::string name() const;    // registry/repository
  std::string string() const;  // name[:tag][@digest]
  // The tag or digest to ask the registry for: digest if set, else tag, else `fallback`.
  std::string reference_or(std::string_view fallback) const;
  // Host (and port) to connect to: docker.io's API lives at registry-1.docker.io.
  std::string api_host() const;
};

// Validators used by the parser and by commands that take a bare tag.
bool is_valid_tag(std::string_view tag);
bool is_valid_repository_path(std::string_view path);

// True for localhost, 127.0.0.0/8 and ::1, with or without a port.
using http::is_loopback_host;

}  // namespace trustctl::registry
