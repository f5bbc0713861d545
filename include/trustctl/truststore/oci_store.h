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

namespace trustctl::truststore {

inline constexpr std::string_view kReservedTag = "_trustctl";
inline constexpr std::string_view kArtifactType = "application/vnd.trustctl.tuf.v1";
inline constexpr std::string_view kMetadataMediaType =
    "application/vnd.trustctl.tuf.metadata.v1+json";
inline constexpr std::string_view kFileNameAnnotation = "org.opencontainers.image.title";
inline constexpr std::string_view kFormatAnnotation = "dev.trustctl.format";
inline constexpr std::string_view kRepositoryAnnotation = "dev.trustctl.repository";
inline constexpr std::string_view kFormatVersion = "1";

// One metadata file as listed in the trust manifest.
struct TrustFile {
  std::string name;  // "1.root.json", "timestamp.json", "3.snapshot.json", ...
  std::string digest;
  std::int64_t size = 0;
};

// What the reserved tag pointed at when it was read.
struct StoreState {
  std::string manifest_digest;
  std::string repository;                  // the manifest's repository annotation (informational)
  std::map<std::string, TrustFile> files;  // by name
};

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

class OciTrustStore {
 public:
  OciTrustStore(registry::RegistryClient& client, std::string repository, BlobCache* cache);

  // HEAD of the reserved tag: its digest, or nullopt when there is none (no trust data).
  Result<std::optional<std::string>> head();

  // Reads the trust manifest the tag points at (or `digest`, when known from head()). The
  // manifest comes from the cache when present there. nullopt when the tag does not exist.
  Result<std::optional<StoreState>> read(std::optional<std::string> digest = std::nullopt);

  // One file's bytes: from the cache, else fetched by digest and verified. kNotFound when the
  // state does not list it; kIntegrity beyond max_length.
  Result<std::string> file(const StoreState& state, const std::string& name,
                           std::uint64_t max_length);

  // Uploads the blobs of `files` that the repository lacks, then PUTs the manifest listing
  // exactly `files` under the reserved tag. Returns the new state.
  Result<StoreState> write(const std::map<std::string, std::string>& files);

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

// Detect-and-repair publishing on a registry without compare-and-swap (docs/storage-format.md):
//   read the current state; build the new files from it; upload; re-read the tag just before
//   the PUT and start over if it moved; PUT; wait `settle` (longer than the window between the
//   check and the PUT); re-read and ask `confirm` whether our change is there; start over if not.
// Fails loudly (kNetwork) when no attempt can be confirmed.
struct PublishOptions {
  int max_attempts = 12;
  std::chrono::milliseconds settle{1500};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
};

using BuildFiles =
    std::function<Result<std::map<std::string, std::string>>(const std::optional<StoreState>&)>;
using ConfirmChange = std::function<Result<bool>(const StoreState& latest)>;

Result<StoreState> publish(OciTrustStore& store, const BuildFiles& build,
                           const ConfirmChange& confirm, const PublishOptions& options = {});

}  // namespace trustctl::truststore
