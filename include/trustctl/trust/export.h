// A repository's trust data outside the registry, and its removal (docs/operations.md):
//   - export_repository: a standard TUF repository in a directory, as a plain TUF client
//     (consistent_snapshot=true) fetches it, written only after a verified refresh;
//   - OfflineVerifier: `verify --offline --from DIR`, the TUF updater against such a directory
//     and this trust dir's trusted state, with no registry client at all;
//   - delete_repository: `repo delete`, the reserved tag's manifest and this trust dir's state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/client.h"
#include "trustctl/registry/reference.h"
#include "trustctl/trust/content_trust.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

// Serves the metadata files of an exported TUF repository in `dir` to the updater. Names with
// "/" or a leading "." are refused; kNotFound when a file is absent; kIntegrity beyond max.
class DirectorySource : public tuf::MetadataSource {
 public:
  explicit DirectorySource(std::string dir) : dir_(std::move(dir)) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override;

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

// repo export: ContentTrust::refresh() of the repository (the usual root rules: created,
// pinned or TOFU), then the files of the state it verified are checked once more as a fresh
// client would (from 1.root.json to the trusted root, timestamp, snapshot, targets) and written
// byte for byte into `dir` (created 0755; files 0644, timestamp.json last). kUsage when `dir`
// is not empty and not `force`.
Result<ExportReport> export_repository(ContentTrust& trust, registry::RegistryClient& client,
                                       const registry::Reference& repository,
                                       const TrustOptions& options, const std::string& dir,
                                       const ExportOptions& export_options);

// verify --offline --from DIR: the same checks as ContentTrust against the files of an export,
// with no network. The root must be trusted by this trust dir already, pinned, or allowed on
// first use (options.allow_tofu) exactly as online. Accepted metadata updates the trust dir's
// trusted state, so an older export is a rollback (kFreshness).
class OfflineVerifier {
 public:
  OfflineVerifier(registry::Reference repository, std::string export_dir, TrustOptions options);

  Result<TrustedView> refresh();
  // The tag's signed target (delegations are followed). When the export holds the manifest
  // (targets/<hex>.<tag>) its length and sha256 are checked too.
  Result<SignedTag> verify_tag(const std::string& tag, const std::string& digest = "",
                               TrustedView* view = nullptr);
  Result<std::vector<SignedTag>> verify_digest(const std::string& digest,
                                               TrustedView* view = nullptr);

 private:
  Status bootstrap_root(tuf::MetadataSource& source);
  Status check_manifest(const SignedTag& tag, TrustedView& view) const;
  std::int64_t now() const;

  registry::Reference ref_;
  std::string dir_;
  TrustOptions options_;
  std::optional<tuf::Updater> updater_;
  DirectorySource source_;
};

// repo delete: DELETE of the reserved tag's manifest by digest (kUnsupported, with the registry
// setting to change, when deletes are disabled), then this trust dir's trusted state of the
// repository and its cached trust blobs. Keys and pins stay. kNoTrustData when neither the
// registry nor this trust dir has anything.
struct DeleteReport {
  std::string repository;
  std::optional<std::string> manifest_digest;  // deleted from the registry
  bool forgot_local_state = false;
  std::int64_t cached_blobs_removed = 0;
  bool pinned = false;  // the pin of the repository was kept
};
Result<DeleteReport> delete_repository(registry::RegistryClient& client,
                                       const registry::Reference& repository,
                                       const std::string& trust_dir);

}  // namespace trustctl::trust
