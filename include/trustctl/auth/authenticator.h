// Registry authentication: WWW-Authenticate challenges, Basic, and docker registry bearer
// tokens (token spec + OAuth2 form), with a token cache.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/auth/credentials.h"
#include "trustctl/core/result.h"
#include "trustctl/http/http_client.h"

namespace trustctl::auth {

struct Challenge {
  std::string scheme;                         // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lower case, values unquoted
  std::string param(std::string_view key) const;
};

// Parses one WWW-Authenticate value (RFC 7235: several challenges, quoted-string values with
// backslash escapes, commas inside quotes). Malformed input is kProtocol.
Result<std::vector<Challenge>> parse_challenges(std::string_view header);

// "repository:<name>:<actions>", e.g. repository_scope("secure-app", "pull,push").
std::string repository_scope(std::string_view repository, std::string_view actions);

// Splits space-separated scopes and merges those naming the same resource into one entry with
// the union of their actions, sorted: {"repository:a:push repository:b:pull",
// "repository:a:pull"} -> {"repository:a:pull,push", "repository:b:pull"}. The result is sorted.
std::vector<std::string> merge_scopes(const std::vector<std::string>& scopes);

// Only the registry's own 401 may be answered with its credentials: kAuth, naming the other
// origin, unless `answered_url` (the URL that answered 401, after redirects) is on
// `registry_host`. A redirect target (blob storage) that asks for credentials may be anyone.
Status check_challenger(const std::string& registry_host, std::string_view answered_url);

// Where credentials come from for a registry host ("host[:port]"); nullopt = anonymous.
using CredentialSource =
    std::function<Result<std::optional<Credentials>>(const std::string& registry_host)>;

class Authenticator {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  Authenticator(http::HttpClient& client, CredentialSource credentials, Clock clock = {});

  // The Authorization header value to send pre-emptively for a request to `registry_host`
  // needing `scopes`: a cached, unexpired bearer token covering them, or Basic credentials
  // once the host has challenged with Basic. nullopt: send none.
  std::optional<std::string> authorization(const std::string& registry_host,
                                           const std::vector<std::string>& scopes);

  // Handles a 401 answer. `www_authenticate` is the challenge header, `request_url` the URL
  // that answered it after redirects (a relative realm resolves against it), `scopes` what the
  // request needs (the challenge's own scope is merged in). For Bearer it fetches a new token
  // from the realm (GET with Basic credentials; POST grant_type=refresh_token with an identity
  // token) and caches it until its expiry; for Basic it returns the credentials. Returns the
  // new Authorization value. kAuth when no credentials are available for a required challenge,
  // or the token server refuses them; kNetwork/kProtocol for an unreachable or broken realm.
  // Never sends credentials where they could leak (kAuth instead): to a 401 answered by
  // another origin than `registry_host` (a redirect target), or to a plain-HTTP realm unless
  // the registry itself answered over plain HTTP.
  Result<std::string> respond(const std::string& registry_host, std::string_view request_url,
                              std::string_view www_authenticate,
                              const std::vector<std::string>& scopes);

  // Forgets cached tokens for the host (after a token was rejected twice).
  void forget(const std::string& registry_host);

  // What a later process may reuse for a host (the registry client's contact memo,
  // docs/registry-client.md): whether it takes credentials pre-emptively (it challenged with
  // Basic, or takes a stored registry token), and the bearer tokens still valid, with their
  // scopes. recall() adds a memo's state; an expired token is never used.
  struct Memo {
    struct Token {
      std::string token;
      std::chrono::system_clock::time_point expires;
      std::vector<std::string> scopes;  // sorted
    };
    bool preemptive = false;
    std::vector<Token> tokens;
  };
  Memo memo(const std::string& registry_host) const;
  void recall(const std::string& registry_host, const Memo& memo);

  // The stored credentials for a host (looked up once per host); nullopt = anonymous.
  Result<std::optional<Credentials>> credentials(const std::string& registry_host) {
    return credentials_for(registry_host);
  }

 private:
  using CachedToken = Memo::Token;
  Result<std::optional<Credentials>> credentials_for(const std::string& registry_host);

  http::HttpClient& client_;
  CredentialSource source_;
  Clock clock_;
  std::map<std::string, std::optional<Credentials>> credential_cache_;
  std::map<std::string, std::vector<CachedToken>> tokens_;  // by registry host
  std::map<std::string, bool> basic_hosts_;
};

}  // namespace trustctl::auth
