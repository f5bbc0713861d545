#include "support/tls_material.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "support/openssl_util.h"

namespace trustctl::testing {
namespace {

Error ssl_error(std::string_view what) {
  return Error(ErrorCode::kInternal, openssl_message(what));
}

Result<PkeyPtr> generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::kEcP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (key == nullptr) return ssl_error("generating a key");
  return PkeyPtr(key);
}

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return ssl_error("extension " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok) return ssl_error("adding extension " + value);
  return {};
}

enum class Role { kCa, kServer, kClient, kSelfSigned };

// Builds a certificate for `key`, signed by issuer_cert/issuer_key (or self-signed when null).
Result<CertAndKey> make_cert(Role role, std::string_view common_name, KeyType key_type, int days,
                             const CertAndKey* issuer, const std::string& san) {
  TRUSTCTL_TRY_ASSIGN(PkeyPtr key, generate_key(key_type));
  X509Ptr issuer_cert;
  PkeyPtr issuer_key;
  if (issuer != nullptr) {
    TRUSTCTL_TRY_ASSIGN(issuer_cert, load_cert(issuer->cert_pem));
    TRUSTCTL_TRY_ASSIGN(issuer_key, load_private_key(issuer->key_pem));
  }

  X509Ptr cert(X509_new());
  if (!cert) return ssl_error("X509_new");
  X509_set_version(cert.get(), 2);  // v3

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return ssl_error("RAND_bytes");
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr), &BN_free);
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return ssl_error("serial number");

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("trustctl tests"), -1, -1, 0);
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer_cert ? X509_get_subject_name(issuer_cert.get()) : name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return ssl_error("X509_set_pubkey");

  X509* ext_issuer = issuer_cert ? issuer_cert.get() : cert.get();
  TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_subject_key_identifier, "hash"));
  TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_authority_key_identifier, "keyid:always"));
  switch (role) {
    case Role::kCa:
      TRUSTCTL_TRY(
          add_ext(cert.get(), ext_issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_key_usage, "critical,keyCertSign,cRLSign"));
      break;
    case Role::kServer:
    case Role::kClient: {
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_basic_constraints, "critical,CA:FALSE"));
      std::string usage = "critical,digitalSignature";
      if (key_type == KeyType::kRsa2048) usage += ",keyEncipherment";
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_key_usage, usage));
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_ext_key_usage,
                           role == Role::kServer ? "serverAuth" : "clientAuth"));
      break;
    }
    case Role::kSelfSigned:
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_basic_constraints, "critical,CA:FALSE"));
      TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_key_usage, "critical,digitalSignature"));
      break;
  }
  if (!san.empty()) TRUSTCTL_TRY(add_ext(cert.get(), ext_issuer, NID_subject_alt_name, san));

  EVP_PKEY* signer = issuer_key ? issuer_key.get() : key.get();
  if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) return ssl_error("X509_sign");

  CertAndKey out;
  TRUSTCTL_TRY_ASSIGN(out.cert_pem, cert_to_pem(cert.get()));
  TRUSTCTL_TRY_ASSIGN(out.key_pem, private_key_to_pem(key.get()));
  return out;
}

}  // namespace

Result<CertAndKey> make_ca(std::string_view common_name, KeyType key_type, int days) {
  return make_cert(Role::kCa, common_name, key_type, days, nullptr, "");
}

Result<CertAndKey> make_server_cert(const CertAndKey& ca, const std::vector<std::string>& dns_names,
                                    const std::vector<std::string>& ip_addresses, KeyType key_type,
                                    int days) {
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& ip : ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  std::string cn = dns_names.empty() ? std::string("trustctl test server") : dns_names.front();
  return make_cert(Role::kServer, cn, key_type, days, &ca, san);
}

Result<CertAndKey> make_client_cert(const CertAndKey& ca, std::string_view common_name,
                                    KeyType key_type, int days) {
  return make_cert(Role::kClient, common_name, key_type, days, &ca, "");
}

Result<CertAndKey> make_self_signed(std::string_view common_name, KeyType key_type, int days) {
  return make_cert(Role::kSelfSigned, common_name, key_type, days, nullptr, "");
}

Result<std::string> libtrust_key_id(std::string_view pem) {
  PkeyPtr key;
  if (auto cert = load_cert(pem)) {
    key.reset(X509_get_pubkey(cert->get()));
  } else if (auto priv = load_private_key(pem)) {
    key = std::move(*priv);
  } else {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  }
  ERR_clear_error();
  if (!key) return Error(ErrorCode::kUsage, "libtrust_key_id: no certificate or key in the PEM");
  TRUSTCTL_TRY_ASSIGN(std::string der, public_key_der(key.get()));
  return libtrust_fingerprint(der);
}

}  // namespace trustctl::testing
