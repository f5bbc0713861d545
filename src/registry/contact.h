// The contact memo (docs/registry-client.md, "What the client remembers"): what the first
// successful contact with a registry established, kept for the next process so that a warm
// command goes straight to its first real request. Not a public header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustctl/auth/authenticator.h"
#include "trustctl/auth/credentials.h"

namespace trustctl::registry::detail {

struct Contact {
  std::string scheme;  // "https" or "http": answered GET /v2/ as a registry/2.0 endpoint
  auth::Authenticator::Memo auth;
};

// The memo file's name for a host in its folder ("127.0.0.1:5000" -> "127.0.0.1_5000.json").
std::string contact_file_name(const std::string& host);

// Reads a memo written by contact_text. A missing, unreadable or malformed file, or one for
// another host, is no memo (the client then starts from scratch). Tokens are kept only when
// they were obtained with the credentials given now (`credentials` is called only when the
// file holds tokens).
std::optional<Contact> read_contact(
    const std::string& path, const std::string& host,
    const std::function<Result<std::optional<auth::Credentials>>()>& credentials);

// The memo's bytes; each token is bound to the credentials that obtained it by a hash of both.
std::string contact_text(const std::string& host, const Contact& contact,
                         const std::optional<auth::Credentials>& credentials);

}  // namespace trustctl::registry::detail
