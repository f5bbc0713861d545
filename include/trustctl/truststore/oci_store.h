// TUF metadata kept in the image's own repository (docs/storage-format.md): one OCI image
// manifest under a reserved tag, one blob layer per metadata file, annotated with its file name.
// Blobs are uploaded first; the manifest PUT is the single commit point.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/client.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::truststore {

inline constexpr std::string_view kReservedTag = "_trustctl";
inline constexpr std::string_view kArtifactType = "application/vnd.trustctl.tuf.v1";
inline constexpr std::string_view kMetadataMediaType =
    "application/vnd.trustctl.tuf.metadata.v1+json";
inline constexpr std::string_view kFileNameAnnotation = "org.opencontainers.image.title";
inline constexpr std::string_view kFormatAnnotation = "dev.trustctl.format";
inline constexpr std::string_view kRepositoryAnnotation = "dev.trustctl.repository";
inline constexpr std::string_view kFormatVersion = "1";

// Content-addressed local cache of blobs (trust dir/cache/blobs/sha256/<hex>). Reads re-hash.
// With `base` (the trust dir), no folder between `base` and a blob may be a symbolic link.
class BlobCache {
 public:
  explicit BlobCache(std::string dir, std::string base = "")
      : dir_(std::move(dir)), base_(std::move(base)) {}
  std::optional<std::string> get(const std::string& digest) const;
  Status put(const std::string& digest, std::string_view bytes) const;

 private:
  std::string path_for(const std::string& digest) const;
  std::string dir_;
  std::string base_;
};

// The trust data of one repository in the registry itself.
class OciTrustStore final : public TrustStore {
 public:
  OciTrustStore(registry::RegistryClient& client, std::string repository, BlobCache* cache);

  // HEAD of the reserved tag: its digest, or nullopt when there is none (no trust data).
  Result<std::optional<std::string>> head() override;

  // Reads the trust manifest the tag points at (or `digest`, when known from head()). The
  // manifest comes from the cache when present there. nullopt when the tag does not exist.
  Result<std::optional<StoreState>> read(std::optional<std::string> digest = std::nullopt) override;

  // One file's bytes: from the cache, else fetched by digest and verified. kNotFound when the
  // state does not list it; kIntegrity beyond max_length; a listed blob the registry does not
  // have is tampering (kVerification).
  Result<std::string> file(const StoreState& state, const std::string& name,
                           std::uint64_t max_length) override;

  // Uploads the blobs of `files` that the repository lacks, then PUTs the manifest listing
  // exactly `files` under the reserved tag. Returns the new state.
  Result<StoreState> write(const std::map<std::string, std::string>& files) override;

  // DELETE of the trust manifest by digest (registry:2 deletes by digest only; the tag goes
  // with it). kUnsupported when the registry has deletes disabled.
  Status erase(const std::string& head) override;

  // The manifest bytes write() would PUT for these files (for tests and docs).
  static std::string manifest_for(const std::string& repository,
                                  const std::vector<TrustFile>& files);

  // Parses a trust manifest; kVerification when it is not one (wrong artifact type, a layer
  // without a file name, duplicate or unsafe names).
  static Result<StoreState> parse_manifest(const registry::Manifest& manifest);

  std::uint64_t requests() const { return client_.request_count(); }

 private:
  registry::RegistryClient& client_;
  std::string repository_;
  BlobCache* cache_;
};

}  // namespace trustctl::truststore
