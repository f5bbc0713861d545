// The trust dir on disk (docs/storage-format.md, "The trust dir"): the only code that knows its
// layout. Everything else asks it for paths, pins, origins and the publisher's anchor.
//
//   <trust-dir>/                              0700; refused when group- or world-writable
//   <trust-dir>/private/<keyid>.key           keys (keystore::KeyStore)
//   <trust-dir>/pins.json                     pinned roots
//   <trust-dir>/cache/blobs/sha256/<hex>      trust blobs, content addressed
//   <trust-dir>/cache/registries/<host>.json  what contact with a registry established
//   <trust-dir>/tuf/<registry>/<repo>/        one folder per repository; the repository path is
//                                             percent-encoded into ONE name ("team%2Fapp"), so a
//                                             repository's folder is never inside another's
//       metadata/                             trusted TUF metadata (tuf::Updater's state)
//       trust.json                            how the root came to be trusted, publisher anchor
//       verified.cache                        the last full verification's result (deletable)
//   <trust-dir>/tmp/                          scratch folders, removed after use
//
// No symbolic link below <trust-dir> is followed: a folder on the way to a repository's state,
// the cache or a scratch folder that is a link is refused (kIo), so trusted state cannot be
// redirected into a folder someone else controls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/reference.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::trust {

// How a repository's root came to be trusted by this trust dir: created here (repo init), by a
// pin (trust pin), by the root keys an admission policy pins (admit), or on first use.
enum class RootOrigin { kCreated, kPinned, kPolicy, kTofu };
std::string_view root_origin_name(RootOrigin origin);

// Pinned roots (pins.json): repository name ("registry/path") -> root key IDs.
struct Pin {
  std::string repository;
  std::vector<std::string> keyids;
};

// A private folder under the trust dir, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  friend class TrustDir;
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

class TrustDir {
 public:
  explicit TrustDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // kIo when the trust dir is writable by its group or by others (anyone who can write there
  // can replace trusted roots and pins), naming the chmod that fixes it. A trust dir that does
  // not exist yet passes (it is created 0700).
  Status check_permissions() const;

  // The repository's own folder (see the layout above), created 0700 when `create`. A folder
  // of the layout of trustctl 0.1 (the path not encoded) is moved into place the first time.
  Result<std::string> repository_dir(const registry::Reference& repository,
                                     bool create = false) const;
  Result<std::string> metadata_dir(const registry::Reference& repository,
                                   bool create = false) const;
  // Whether this trust dir holds a trusted root of the repository (kIo for a linked folder).
  Result<bool> has_trusted_root(const registry::Reference& repository) const;
  // The repository's verified-state cache (trust/verified_cache.h); its folder is created.
  Result<std::string> verified_cache_file(const registry::Reference& repository) const;

  RootOrigin root_origin(const registry::Reference& repository) const;  // kTofu when unrecorded
  Status set_root_origin(const registry::Reference& repository, RootOrigin origin) const;

  // The timestamp version this trust dir last published for the repository, or that an
  // operator accepted with --accept-state: the state it vouches for (docs/operations.md).
  // nullopt when it vouches for none, also when the saved timestamp is gone or older.
  std::optional<std::int64_t> publisher_anchor(const registry::Reference& repository) const;
  Status set_publisher_anchor(const registry::Reference& repository,
                              std::int64_t timestamp_version) const;

  // Forgets the repository's trusted state (metadata, origin, anchor); not its pin, not its
  // keys, never another repository's folder. Returns whether there was anything.
  Result<bool> forget(const registry::Reference& repository) const;

  Result<std::vector<Pin>> pins() const;
  Status save_pins(const std::vector<Pin>& pins) const;
  // The pin of the repository, if any.
  Result<std::optional<Pin>> pin_of(const registry::Reference& repository) const;

  std::string blob_cache_dir() const { return root_ + "/cache/blobs"; }
  truststore::BlobCache blob_cache() const {
    return truststore::BlobCache(blob_cache_dir(), root_);
  }
  // Removes one cached blob; whether it was there.
  bool drop_cached_blob(const std::string& digest) const;

  Result<ScratchDir> scratch(const std::string& purpose) const;

 private:
  Result<std::string> trust_file(const registry::Reference& repository) const;

  std::string root_;
};

// The folder name of a repository path: every character but [a-z0-9._-] percent-encoded
// ("team/app" -> "team%2Fapp").
std::string encode_repository_path(const std::string& path);

}  // namespace trustctl::trust
