// Test-only repository side of TUF: builds and signs fresh metadata for the TUF unit tests,
// the tuf-js interop test and the metadata fuzzer (trustctl itself publishes through
// src/trust/publisher.cc).
// Holds the signing keys per role and the served files, named as a plain TUF client fetches
// them ("1.root.json", "timestamp.json", "3.snapshot.json", "snapshot.json", "targets.json",
// "2.targets.json", "<role>.json", ...).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/tuf/metadata.h"

namespace trustctl::tuf {

struct RepositoryOptions {
  std::int64_t now = 0;  // unix seconds; expiries are relative to it
  bool consistent_snapshot = true;
  // Lifetimes (Notary's defaults: root 10 years, targets and snapshot 3 years, timestamp 14 days).
  std::int64_t root_lifetime = 10LL * 365 * 86400;
  std::int64_t targets_lifetime = 3LL * 365 * 86400;
  std::int64_t snapshot_lifetime = 3LL * 365 * 86400;
  std::int64_t timestamp_lifetime = 14LL * 86400;
  // Whether snapshot and timestamp list length and sha256 of the files they reference.
  bool meta_hashes = true;
};

using SharedKey = std::shared_ptr<const crypto::PrivateKey>;

class RepositoryBuilder {
 public:
  explicit RepositoryBuilder(RepositoryOptions options);

  // Authorises `key` for top-level `role` in root and signs that role with it.
  void add_key(const std::string& role, SharedKey key);
  // Removes the key from root's `role` and from the role's signers.
  void remove_key(const std::string& role, const std::string& keyid);
  // Signs `role` with `key` without authorising it (tests: wrong keys, extra signatures).
  void add_signer(const std::string& role, SharedKey key);
  void clear_signers(const std::string& role);

  // Delegates `role` from `parent` ("targets" or a delegated role) to `keys`, creating an empty
  // targets metadata for it.
  void add_delegation(const std::string& parent, DelegatedRole role, std::vector<SharedKey> keys);
  // Lists a target of `bytes` in `role`; the content is served by target_files().
  TargetFile add_target(const std::string& role, const std::string& name, std::string_view bytes,
                        std::optional<nlohmann::json> custom = {});

  Metadata<Root>& root() { return root_; }
  Metadata<Timestamp>& timestamp() { return timestamp_; }
  Metadata<Snapshot>& snapshot() { return snapshot_; }
  Metadata<Targets>& targets(const std::string& role = "targets");

  // Versions: publishing bumps a role to one above its last published version unless its
  // version was set higher (tests: fast-forward).
  // Signs the current root (version bumped when a root was published before) with its own
  // signers and those of the previously published root; serves it as N.root.json.
  Status publish_root();
  // Signs one targets role (version bumped when published before) and serves it.
  Status publish_targets(const std::string& role = "targets");
  // Snapshot listing every published targets role, then the timestamp listing it.
  Status publish_snapshot();
  Status publish_timestamp();
  // publish_root() when root was never published; every targets role never published or
  // changed by add_target/add_delegation; then snapshot and timestamp.
  Status publish();

  // The bytes of a role as last published.
  std::string published(const std::string& role) const;
  // Serialises and signs `role` as it is now, without bumping or serving it (tests).
  Result<std::string> sign_only(const std::string& role);

  std::map<std::string, std::string>& files() { return files_; }
  std::map<std::string, std::string>& target_files() { return target_files_; }
  const RepositoryOptions& options() const { return options_; }
  // Writes files() and target_files() under `metadata_dir` and `targets_dir` (made 0700).
  Status export_to(const std::string& metadata_dir, const std::string& targets_dir) const;

 private:
  Status sign_with(const std::string& role, Metadata<Root>& md, bool with_previous);
  // The next version: one above the last published, or the current one when set higher.
  template <typename T>
  void bump(Metadata<T>& md, const std::string& role);
  template <typename T>
  Status sign_role(Metadata<T>& md, const std::string& role);

  RepositoryOptions options_;
  Metadata<Root> root_;
  Metadata<Timestamp> timestamp_;
  Metadata<Snapshot> snapshot_;
  std::map<std::string, Metadata<Targets>> targets_;
  std::map<std::string, std::vector<SharedKey>> signers_;
  std::vector<SharedKey> previous_root_signers_;
  std::map<std::string, std::int64_t> published_versions_;
  std::map<std::string, std::string> published_bytes_;
  std::set<std::string> dirty_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> target_files_;
};

}  // namespace trustctl::tuf
