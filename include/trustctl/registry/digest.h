// Content digests ("sha256:<hex>") and their verification while bytes stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"
#include "trustctl/crypto/hash.h"

namespace trustctl::registry {

class Digest {
 public:
  // Accepts sha256 (64 lower-case hex) and sha512 (128); anything else is kUsage when
  // `from_user`, kIntegrity otherwise (a server sent it: bad data).
  static Result<Digest> parse(std::string_view text, bool from_user = true);
  static Digest of(std::string_view bytes,
                   crypto::HashAlgorithm algorithm = crypto::HashAlgorithm::kSha256);

  crypto::HashAlgorithm algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string string() const;
  bool operator==(const Digest& other) const {
    return algorithm_ == other.algorithm_ && hex_ == other.hex_;
  }

 private:
  Digest(crypto::HashAlgorithm a, std::string hex) : algorithm_(a), hex_(std::move(hex)) {}
  crypto::HashAlgorithm algorithm_;
  std::string hex_;
};

// Hashes bytes as they arrive and checks digest and length at the end.
class DigestVerifier {
 public:
  DigestVerifier(Digest expected, std::int64_t expected_size = -1);  // -1: size unknown
  // False once more bytes than expected_size arrived.
  bool update(std::string_view chunk);
  void reset();
  // kIntegrity naming `what` when the bytes do not match.
  Status finish(std::string_view what);
  std::uint64_t size() const { return size_; }

 private:
  Digest expected_;
  std::int64_t expected_size_;
  crypto::Hasher hasher_;
  std::uint64_t size_ = 0;
};

}  // namespace trustctl::registry
