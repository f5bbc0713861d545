// TLS material for test registries, made in memory with the OpenSSL 3 API: a CA, server and
// client certificates signed by it, and self-signed certificates for token signing keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::testing {

enum class KeyType { kEcP256, kRsa2048 };

// A certificate and its private key, both PEM (the key unencrypted PKCS#8).
struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

// A CA certificate (basicConstraints CA:TRUE, keyCertSign) valid for `days`.
Result<CertAndKey> make_ca(std::string_view common_name, KeyType key_type = KeyType::kEcP256,
                           int days = 30);

// A server certificate signed by `ca` (serverAuth) with the given SANs.
Result<CertAndKey> make_server_cert(const CertAndKey& ca,
                                    const std::vector<std::string>& dns_names = {"localhost"},
                                    const std::vector<std::string>& ip_addresses = {"127.0.0.1",
                                                                                    "::1"},
                                    KeyType key_type = KeyType::kEcP256, int days = 30);

// A client certificate signed by `ca` (clientAuth) with CN `common_name`.
Result<CertAndKey> make_client_cert(const CertAndKey& ca, std::string_view common_name,
                                    KeyType key_type = KeyType::kEcP256, int days = 30);

// A self-signed leaf certificate (e.g. for a token signing key listed in rootcertbundle).
Result<CertAndKey> make_self_signed(std::string_view common_name,
                                    KeyType key_type = KeyType::kEcP256, int days = 30);

// The libtrust key id of the public key in `pem` (a certificate, public key or private key):
// base32(sha256(DER SubjectPublicKeyInfo)[:30]) without padding, 12 groups of 4 joined by ':'.
Result<std::string> libtrust_key_id(std::string_view pem);

}  // namespace trustctl::testing
