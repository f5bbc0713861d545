// Images in memory, for the trust workflow unit tests: tags pointing at manifests, serving both
// sides a registry serves (trust::ManifestSource for verify, trust::TagResolver for sign), with
// hooks to serve other bytes than the ones stored (a registry that swaps a manifest) or none.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "trustctl/crypto/hash.h"
#include "trustctl/trust/manifests.h"

namespace trustctl::testing {

class MemoryImages final : public trust::ManifestSource, public trust::TagResolver {
 public:
  static constexpr const char* kMediaType = "application/vnd.oci.image.manifest.v1+json";
  static constexpr const char* kIndexMediaType = "application/vnd.oci.image.index.v1+json";

  // Points `tag` at a new manifest made from `content`; returns its digest.
  std::string push(const std::string& tag, const std::string& content) {
    std::string manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(kMediaType) +
                           R"(","annotations":{"content":")" + content + R"("}})";
    return store(tag, manifest, false);
  }
  // Points `tag` at a new OCI index naming the manifests `children` (for linux/amd64, arm64,
  // ...); returns its digest.
  std::string push_index(const std::string& tag, const std::vector<std::string>& children) {
    static const char* const kArchitectures[] = {"amd64", "arm64", "s390x", "ppc64le"};
    std::string entries;
    for (std::size_t i = 0; i < children.size(); ++i) {
      const std::string& bytes = manifests_.at(children[i]);
      entries += std::string(i ? "," : "") + R"({"mediaType":")" + kMediaType + R"(","digest":")" +
                 children[i] + R"(","size":)" + std::to_string(bytes.size()) +
                 R"(,"platform":{"os":"linux","architecture":")" + kArchitectures[i % 4] + R"("}})";
    }
    std::string index = R"({"schemaVersion":2,"mediaType":")" + std::string(kIndexMediaType) +
                        R"(","manifests":[)" + entries + "]}";
    return store(tag, index, true);
  }
  // Forgets the manifest `digest` (a registry that deleted it).
  void remove(const std::string& digest) { manifests_.erase(digest); }
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
  Result<std::optional<std::string>> child_manifest(const registry::Descriptor& child,
                                                    const trust::SignedTag& parent) override {
    auto it = manifests_.find(child.digest);
    if (it == manifests_.end())
      return Error(ErrorCode::kNotFound, "no manifest " + child.digest + " for " + parent.tag);
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
    return trust::SignedTag{request.tag,
                            digest,
                            static_cast<std::int64_t>(manifest->second.size()),
                            index_digests_.count(digest) ? kIndexMediaType : kMediaType,
                            {}};
  }

 private:
  std::string store(const std::string& tag, const std::string& bytes, bool index) {
    std::string digest = "sha256:" + crypto::sha256_hex(bytes);
    manifests_[digest] = bytes;
    tags_[tag] = digest;
    if (index) index_digests_.insert(digest);
    return digest;
  }

  std::map<std::string, std::string> tags_;       // tag -> digest
  std::map<std::string, std::string> manifests_;  // digest -> bytes
  std::set<std::string> index_digests_;
};

}  // namespace trustctl::testing
