// A repository's trust data outside its store, and its removal (docs/operations.md):
//   - export_repository: a standard TUF repository in a directory, as a plain TUF client
//     (consistent_snapshot=true) fetches it, written only after a verified refresh;
//   - verify_export: `verify --offline --from DIR`, the Verifier over such a directory and this
//     trust dir's trusted state, with no registry client at all;
//   - delete_repository: `repo delete`, the store's trust data and this trust dir's state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/trust/manifests.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/truststore/trust_store.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

// Serves the metadata files of an exported TUF repository in `dir` to the updater: regular
// files within their cap only (fs::read_regular_file). Names with "/" or a leading "." are
// refused; kNotFound when a file is absent.
class DirectorySource : public tuf::MetadataSource {
 public:
  explicit DirectorySource(std::string dir) : dir_(std::move(dir)) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override;

 private:
  std::string dir_;
};

// The signed manifests of an export (targets/<sha256>.<tag>), when it was written with them.
class ExportManifests final : public ManifestSource {
 public:
  explicit ExportManifests(std::string dir) : dir_(std::move(dir)) {}
  Result<std::optional<std::string>> signed_manifest(const SignedTag& target) override;
  // An export holds the signed manifests only, not the manifests an index names.
  Result<std::optional<std::string>> child_manifest(const registry::Descriptor&,
                                                    const SignedTag&) override {
    return std::optional<std::string>();
  }
  std::string how() const override { return "read from the export and hashed"; }

 private:
  std::string dir_;
};

// The consistent-snapshot file name of a target: "<sha256 hex>.<name>".
std::string target_file_name(const std::string& sha256_hex, const std::string& name);

struct ExportOptions {
  bool with_manifests = false;  // also targets/<sha256>.<tag>: the signed manifests
  bool force = false;           // write into a non-empty directory
};

struct ExportedFile {
  std::string path;  // relative to the export directory: "1.root.json", "targets/<hex>.v1"
  std::string kind;  // "root", "timestamp", "snapshot", "targets", "delegation", "manifest"
  std::string sha256;
  std::int64_t size = 0;
};

struct ExportReport {
  std::string dir;
  std::vector<ExportedFile> files;  // in the order written (timestamp.json last)
  TrustedView view;
};

// repo export: the verified refresh of the repository from `store` (the usual root rules:
// created, pinned or TOFU), then the files of the state it verified are checked once more as a
// fresh client would (from 1.root.json to the trusted root, timestamp, snapshot, targets) and
// written byte for byte into `dir` (created 0755; files 0644, timestamp.json last), with the
// signed manifests from `manifests` when options.with_manifests. kUsage when `dir` is not empty
// and not `force`.
Result<ExportReport> export_repository(const Verifier& verifier, truststore::TrustStore& store,
                                       ManifestSource& manifests, const std::string& dir,
                                       const ExportOptions& options);

// verify --offline --from DIR: the Verifier over the files of an export, with no network. The
// root must be trusted by this trust dir already, pinned, or allowed on first use exactly as
// online. Accepted metadata updates the trust dir's trusted state, so an older export is a
// rollback (kFreshness). The view's checks start with the "source" check.
Result<Verified> verify_export(const Verifier& verifier, const std::string& dir);

// repo delete: the store's trust data (kUnsupported, with the registry setting to change, when
// deletes are disabled), then this trust dir's trusted state of the repository and its cached
// trust blobs. Keys and pins stay. kNoTrustData when neither the store nor this trust dir has
// anything.
struct DeleteReport {
  std::string repository;
  std::optional<std::string> manifest_digest;  // deleted from the store
  bool forgot_local_state = false;
  std::int64_t cached_blobs_removed = 0;
  bool pinned = false;  // the pin of the repository was kept
};
Result<DeleteReport> delete_repository(truststore::TrustStore& store, const TrustDir& dir,
                                       const registry::Reference& repository);

}  // namespace trustctl::trust
