#include "trustctl/crypto/hash.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace trustctl::crypto {

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

std::string_view hash_algorithm_name(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kSha256 ? "sha256" : "sha512";
}

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  const EVP_MD* md = algorithm == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, md, nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view data) {
  if (!data.empty()) EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Hasher::finish_raw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1) {
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hasher::finish_hex() { return hex_encode(finish_raw()); }

std::string sha256_hex(std::string_view data) {
  Hasher h(HashAlgorithm::kSha256);
  h.update(data);
  return h.finish_hex();
}

std::string sha512_hex(std::string_view data) {
  Hasher h(HashAlgorithm::kSha512);
  h.update(data);
  return h.finish_hex();
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace trustctl::crypto
