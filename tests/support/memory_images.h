// Images in memory, for the trust workflow unit tests: tags pointing at manifests, serving both
// sides a registry serves (trust::ManifestSource for verify, trust::TagResolver for sign), with
// a hook to serve other bytes than the ones stored (a registry that swaps a manifest).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "trustctl/crypto/hash.h"
#include "trustctl/trust/manifests.h"

namespace trustctl::testing {

class MemoryImages final : public trust::ManifestSource, public trust::TagResolver {
 public:
  static constexpr const char* kMediaType = "application/vnd.oci.image.manifest.v1+json";

  // Points `tag` at a new manifest made from `content`; returns its digest.
  std::string push(const std::string& tag, const std::string& content) {
    std::string manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(kMediaType) +
                           R"(","annotations":{"content":")" + content + "\"}}";
    std::string digest = "sha256:" + crypto::sha256_hex(manifest);
    manifests_[digest] = manifest;
    tags_[tag] = digest;
    return digest;
  }
  // Serves `bytes` whenever the manifest `digest` is asked for.
  void swap_manifest(const std::string& digest, const std::string& bytes) {
    manifests_[digest] = bytes;
  }

  Result<std::optional<std::string>> signed_manifest(const trust::SignedTag& target) override {
    auto it = manifests_.find(target.digest);
    if (it == manifests_.end())
      return Error(ErrorCode::kNotFound, "no manifest " + target.digest + " for " + target.tag);
    return std::optional<std::string>(it->second);
  }
  std::string how() const override { return "from memory"; }

  Result<trust::SignedTag> resolve(const trust::TagRequest& request) override {
    std::string digest = request.digest;
    if (auto tag = tags_.find(request.tag); tag != tags_.end()) {
      if (!digest.empty() && digest != tag->second)
        return Error(ErrorCode::kVerification, request.tag + " points elsewhere");
      digest = tag->second;
    } else if (digest.empty()) {
      return Error(ErrorCode::kNotFound, "no tag " + request.tag);
    }
    auto manifest = manifests_.find(digest);
    if (manifest == manifests_.end()) return Error(ErrorCode::kNotFound, "no manifest " + digest);
    return trust::SignedTag{
        request.tag, digest, static_cast<std::int64_t>(manifest->second.size()), kMediaType, {}};
  }

 private:
  std::map<std::string, std::string> tags_;       // tag -> digest
  std::map<std::string, std::string> manifests_;  // digest -> bytes
};

}  // namespace trustctl::testing
