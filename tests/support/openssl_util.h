// Small RAII and PEM helpers over OpenSSL 3 shared by the test support code.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::testing {

struct OpensslDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslDeleter>;

// "what: <OpenSSL error queue>"; clears the queue.
std::string openssl_message(std::string_view what);

Result<X509Ptr> load_cert(std::string_view pem);
Result<PkeyPtr> load_private_key(std::string_view pem);
Result<std::string> cert_to_pem(X509* cert);
Result<std::string> private_key_to_pem(EVP_PKEY* key);
// DER SubjectPublicKeyInfo of the key's public half.
Result<std::string> public_key_der(EVP_PKEY* key);
Result<std::string> cert_der(X509* cert);
std::string sha256_raw(std::string_view data);
// "sha256:<lowercase hex>", the OCI digest of `data`.
std::string sha256_digest(std::string_view data);
// libtrust key id of a DER SubjectPublicKeyInfo: base32(sha256(der)[:30]), no padding, in 12
// groups of 4 joined by ':'.
std::string libtrust_fingerprint(std::string_view spki_der);

}  // namespace trustctl::testing
