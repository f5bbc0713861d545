// Streaming message digests (OpenSSL EVP) and hex encoding.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace trustctl::crypto {

enum class HashAlgorithm { kSha256, kSha512 };

std::string_view hash_algorithm_name(HashAlgorithm algorithm);  // "sha256" / "sha512"

// Incremental hashing: update() any number of times, then finish_*() once.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data);
  std::string finish_raw();  // the raw digest bytes
  std::string finish_hex();  // lowercase hex
  HashAlgorithm algorithm() const { return algorithm_; }

 private:
  struct Impl;
  HashAlgorithm algorithm_;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha512_hex(std::string_view data);
std::string hex_encode(std::string_view bytes);

}  // namespace trustctl::crypto
