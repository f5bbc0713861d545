#include "trustctl/registry/digest.h"

namespace trustctl::registry {

Result<Digest> Digest::parse(std::string_view text, bool from_user) {
  // A malformed digest from a server (a header, a descriptor) is bad data served: exit 12.
  const ErrorCode code = from_user ? ErrorCode::kUsage : ErrorCode::kIntegrity;
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return Error(code, "digest '" + std::string(text) + "' is not of the form sha256:<hex>");
  std::string_view algo = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  size_t want = 0;
  crypto::HashAlgorithm a = crypto::HashAlgorithm::kSha256;
  if (algo == "sha256") {
    want = 64;
  } else if (algo == "sha512") {
    want = 128;
    a = crypto::HashAlgorithm::kSha512;
  } else {
    return Error(
        code, "digest algorithm '" + std::string(algo) + "' is not supported (sha256 or sha512)");
  }
  if (hex.size() != want || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return Error(code, "digest '" + std::string(text) + "' must have " + std::to_string(want) +
                           " lower-case hex digits");
  return Digest(a, std::string(hex));
}

Digest Digest::of(std::string_view bytes, crypto::HashAlgorithm algorithm) {
  crypto::Hasher h(algorithm);
  h.update(bytes);
  return Digest(algorithm, h.finish_hex());
}

std::string Digest::string() const {
  return std::string(crypto::hash_algorithm_name(algorithm_)) + ":" + hex_;
}

DigestVerifier::DigestVerifier(Digest expected, std::int64_t expected_size)
    : expected_(std::move(expected)),
      expected_size_(expected_size),
      hasher_(expected_.algorithm()) {}

bool DigestVerifier::update(std::string_view chunk) {
  size_ += chunk.size();
  if (expected_size_ >= 0 && size_ > static_cast<std::uint64_t>(expected_size_)) return false;
  hasher_.update(chunk);
  return true;
}

void DigestVerifier::reset() {
  hasher_ = crypto::Hasher(expected_.algorithm());
  size_ = 0;
}

Status DigestVerifier::finish(std::string_view what) {
  if (expected_size_ >= 0 && size_ != static_cast<std::uint64_t>(expected_size_)) {
    return Error(ErrorCode::kIntegrity, std::string(what) + ": expected " +
                                            std::to_string(expected_size_) + " bytes, got " +
                                            std::to_string(size_));
  }
  std::string got = hasher_.finish_hex();
  if (got != expected_.hex()) {
    return Error(ErrorCode::kIntegrity,
                 std::string(what) + ": content does not match digest " + expected_.string() +
                     " (got " + std::string(crypto::hash_algorithm_name(expected_.algorithm())) +
                     ":" + got + ")");
  }
  return {};
}

}  // namespace trustctl::registry
