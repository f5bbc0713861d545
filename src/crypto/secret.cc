#include "trustctl/crypto/secret.h"

#include <openssl/crypto.h>

namespace trustctl::crypto {

void secure_wipe(void* p, std::size_t size) {
  if (p != nullptr && size > 0) OPENSSL_cleanse(p, size);
}

void secure_wipe(std::string& s) {
  // Wipe the whole capacity, not just the current size.
  const std::size_t n = s.capacity();
  s.resize(n);
  secure_wipe(s.data(), n);
  s.clear();
}

bool SecretBytes::equals(const SecretBytes& other) const {
  if (size() != other.size()) return false;
  return size() == 0 || CRYPTO_memcmp(data(), other.data(), size()) == 0;
}

}  // namespace trustctl::crypto
