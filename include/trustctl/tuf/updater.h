// The TUF client workflow (spec 1.0.x section 5, python-tuf's ngclient Updater) over an abstract
// source of metadata files, with the trusted state kept in a local directory. No network code
// here: the registry store, a Notary server, an exported directory and plain HTTP each provide
// a MetadataSource.
//
// Local trusted state (docs/tuf-verifier.md): DIR/root.json, timestamp.json, snapshot.json,
// targets.json and <url-encoded role>.json for delegated roles, byte for byte as served, written
// atomically (folders 0700, files 0600).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/tuf/metadata.h"
#include "trustctl/tuf/trusted_set.h"

namespace trustctl::tuf {

class MetadataSource {
 public:
  virtual ~MetadataSource() = default;
  // A file of the TUF repository by its name as a plain TUF client fetches it:
  // "2.root.json", "timestamp.json", "3.snapshot.json" / "snapshot.json",
  // "4.targets.json" / "targets.json", "<version>.<role>.json" / "<role>.json" for delegations
  // (role names url-encoded). kNotFound when absent; refuse (kIntegrity) beyond max_length.
  virtual Result<std::string> fetch(const std::string& name, std::uint64_t max_length) = 0;
};

struct Limits {
  int max_root_rotations = 256;  // python-tuf's default
  int max_delegations = 32;      // delegated roles visited per lookup
  std::uint64_t root_max_length = 512 * 1024;
  std::uint64_t timestamp_max_length = 16 * 1024;
  std::uint64_t snapshot_max_length = 2 * 1024 * 1024;  // when timestamp gives no length
  std::uint64_t targets_max_length = 5 * 1024 * 1024;   // when snapshot gives no length
};

struct UpdaterConfig {
  std::string metadata_dir;
  MetadataSource* source = nullptr;     // not owned
  std::function<std::int64_t()> clock;  // unix seconds; read once per refresh()
  Limits limits;
  KeyIds key_ids = KeyIds::kOpaque;  // kComputed for trustctl's own trust data
};

// The file name of a role in the local store: url-encoded role + ".json".
std::string role_file_name(const std::string& role);

class Updater {
 public:
  explicit Updater(UpdaterConfig config) : config_(std::move(config)) {}

  // Loads the trusted root from metadata_dir/root.json, follows root rotations (N+1.root.json
  // until kNotFound, at most max_root_rotations), checks the final root's expiry, then updates
  // timestamp, snapshot and top-level targets, using the local copies as rollback references
  // and caches. Every accepted file is persisted at once. A file the trusted metadata lists
  // (timestamp.json, the snapshot it names, a role the snapshot lists) that the source does not
  // have is a verification failure, not "not found": the repository was tampered with.
  Status refresh();

  // Looks `target_path` up: preorder depth-first walk of the delegation graph from the
  // top-level targets, honouring paths / path_hash_prefixes and terminating roles, visiting at
  // most max_delegations roles (delegated metadata is fetched on the way). refresh() is run
  // first when it has not been. kNotFound when no trusted role lists the target.
  Result<TargetFile> get_targetinfo(const std::string& target_path);

  // Loads delegated role `role` as delegated by `parent` (already loaded), after refresh():
  // kNotFound when the trusted snapshot does not list it (nothing was published for it yet),
  // kVerification / kIntegrity / kFreshness when its metadata fails a check.
  Result<const Metadata<Targets>*> load_delegated(const std::string& role,
                                                  const std::string& parent);

  // Whether root.consistent_snapshot is set (after refresh()).
  bool consistent_snapshot() const;
  const TrustedSet* trusted_set() const { return trusted_ ? &*trusted_ : nullptr; }

 private:
  Status load_root();
  Status load_timestamp();
  Status load_snapshot();
  Result<const Metadata<Targets>*> load_targets(const std::string& role, const std::string& parent);
  Result<std::string> read_local(const std::string& role) const;
  Status persist(const std::string& role, const std::string& bytes) const;
  void remove_local(const std::string& role) const;

  UpdaterConfig config_;
  std::optional<TrustedSet> trusted_;
};

}  // namespace trustctl::tuf
