#include "support/openssl_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "trustctl/core/encoding.h"

namespace trustctl::testing {
namespace {

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0) return Error(ErrorCode::kInternal, openssl_message("BIO_get_mem_data"));
  return std::string(data, static_cast<size_t>(n));
}

BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

}  // namespace

std::string openssl_message(std::string_view what) {
  std::string msg(what);
  unsigned long code;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return msg;
}

Result<X509Ptr> load_cert(std::string_view pem) {
  BioPtr bio = mem_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Error(ErrorCode::kUsage, openssl_message("reading a PEM certificate"));
  return cert;
}

Result<PkeyPtr> load_private_key(std::string_view pem) {
  BioPtr bio = mem_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Error(ErrorCode::kUsage, openssl_message("reading a PEM private key"));
  return key;
}

Result<std::string> cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return Error(ErrorCode::kInternal, openssl_message("PEM_write_bio_X509"));
  return bio_contents(bio.get());
}

Result<std::string> private_key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Error(ErrorCode::kInternal, openssl_message("PEM_write_bio_PrivateKey"));
  return bio_contents(bio.get());
}

Result<std::string> public_key_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return Error(ErrorCode::kInternal, openssl_message("i2d_PUBKEY"));
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<std::string> cert_der(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509(cert, &der);
  if (n <= 0) return Error(ErrorCode::kInternal, openssl_message("i2d_X509"));
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string sha256_raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string sha256_digest(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char c : sha256_raw(data)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string libtrust_fingerprint(std::string_view spki_der) {
  std::string digest = sha256_raw(spki_der);
  std::string b32 = encoding::base32_encode(std::string_view(digest).substr(0, 30));
  std::string id;
  for (size_t i = 0; i < b32.size(); i += 4) {
    if (!id.empty()) id += ':';
    id += b32.substr(i, 4);
  }
  return id;
}

}  // namespace trustctl::testing
