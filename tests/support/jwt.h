// Compact JWS tokens as docker/distribution's `auth: token` verifies them: used by the token
// server and by tests that hand-craft good or broken tokens.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace trustctl::testing {

class JwtSigner {
 public:
  // key_pem: an EC P-256 key (ES256, signature raw r||s) or an RSA key (RS256, PKCS#1 v1.5).
  // cert_pem, if given, is what x5c_header() carries.
  static Result<JwtSigner> from_pem(std::string_view key_pem, std::string_view cert_pem = {});

  const std::string& algorithm() const { return algorithm_; }
  // The libtrust fingerprint of the public key (the `kid` the registry looks up).
  const std::string& key_id() const { return key_id_; }

  // Header {"typ":"JWT","alg":...,"kid":...} merged with `extra_header`; a null value in
  // `extra_header` removes that field (e.g. {"kid": null}).
  Result<std::string> sign(const nlohmann::json& claims,
                           const nlohmann::json& extra_header = nlohmann::json::object()) const;
  // The raw JWS signature of `signing_input` ("b64url(header).b64url(claims)").
  Result<std::string> sign_bytes(std::string_view signing_input) const;
  // {"x5c": [base64 DER of cert_pem]}, or an error when no certificate was given.
  Result<nlohmann::json> x5c_header() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string algorithm_;
  std::string key_id_;
  std::string cert_der_;
};

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signature;  // raw bytes
};

// Splits and decodes a compact JWS; does not verify the signature.
Result<DecodedJwt> decode_jwt(std::string_view token);

struct TokenClaimsSpec {
  std::string issuer;
  std::string audience;  // the registry's service; a JSON string, never an array
  std::string subject;
  nlohmann::json access = nlohmann::json::array();  // [{type, name, actions[]}]
  std::chrono::seconds lifetime{300};
  std::chrono::system_clock::time_point issued_at = std::chrono::system_clock::now();
};

// {"iss","sub","aud","exp","nbf","iat","jti","access"}; nbf is one second before iat.
nlohmann::json token_claims(const TokenClaimsSpec& spec);

}  // namespace trustctl::testing
