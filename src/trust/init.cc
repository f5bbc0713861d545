// repo init (and the initialising sign): the four keys and version 1 of the metadata.
#include <map>

#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/registry/digest.h"
#include "trustctl/trust/operations.h"

namespace trustctl::trust {
namespace {

using detail::sign_version;
using truststore::StoreState;

// Version 1 of every role, signed by `keys` (role -> key), for repository `path`.
Result<std::map<std::string, std::string>> first_files(
    const std::map<std::string, crypto::PrivateKey>& keys, const std::string& path,
    std::int64_t now, const Lifetimes& life) {
  tuf::Root root;
  root.consistent_snapshot = true;
  root.unrecognized[std::string(kRepositoryField)] = path;
  for (const auto& [role, key] : keys) root.add_key(role, key.public_key());
  tuf::Metadata<tuf::Root> root_md(root);
  TRUSTCTL_TRY_ASSIGN(auto root_bytes, sign_version(root_md, 1, now + life.root, keys.at("root")));
  tuf::Metadata<tuf::Targets> targets_md{tuf::Targets{}};
  TRUSTCTL_TRY_ASSIGN(auto targets_bytes,
                      sign_version(targets_md, 1, now + life.targets, keys.at("targets")));
  tuf::Snapshot snapshot;
  snapshot.meta["targets.json"] = tuf::MetaFile::of(1, targets_bytes);
  tuf::Metadata<tuf::Snapshot> snapshot_md(snapshot);
  TRUSTCTL_TRY_ASSIGN(auto snapshot_bytes,
                      sign_version(snapshot_md, 1, now + life.snapshot, keys.at("snapshot")));
  tuf::Timestamp timestamp;
  timestamp.snapshot_meta = tuf::MetaFile::of(1, snapshot_bytes);
  tuf::Metadata<tuf::Timestamp> timestamp_md(timestamp);
  TRUSTCTL_TRY_ASSIGN(auto timestamp_bytes,
                      sign_version(timestamp_md, 1, now + life.timestamp, keys.at("timestamp")));
  return std::map<std::string, std::string>{{"1.root.json", root_bytes},
                                            {"1.targets.json", targets_bytes},
                                            {"1.snapshot.json", snapshot_bytes},
                                            {"timestamp.json", timestamp_bytes}};
}

}  // namespace

Status init(const Publisher& publisher) {
  const registry::Reference& ref = publisher.repository();
  TRUSTCTL_TRY_ASSIGN(auto head, publisher.store().head());
  if (head)
    return Error(ErrorCode::kUsage, ref.name() + " already has trust data; nothing to initialise");
  std::map<std::string, crypto::PrivateKey> keys;
  for (const char* role : {"root", "targets", "snapshot", "timestamp"}) {
    TRUSTCTL_TRY_ASSIGN(auto info,
                        publisher.keys().generate(publisher.settings().key_type, role, ref.name()));
    TRUSTCTL_TRY_ASSIGN(auto key, publisher.keys().load(info.id));
    keys.emplace(role, std::move(key));
  }
  TRUSTCTL_TRY_ASSIGN(auto files, first_files(keys, ref.repository, publisher.now(),
                                              publisher.settings().lifetimes));
  const std::string root_digest = registry::Digest::of(files.at("1.root.json")).string();
  TRUSTCTL_TRY_ASSIGN(auto published,
                      truststore::publish(
                          publisher.store(),
                          [&](const std::optional<StoreState>& current)
                              -> Result<std::map<std::string, std::string>> {
                            if (current)
                              return Error(
                                  ErrorCode::kUsage,
                                  ref.name() + " was initialised by someone else meanwhile");
                            return files;
                          },
                          [&](const StoreState& latest) -> Result<bool> {
                            auto it = latest.files.find("1.root.json");
                            return it != latest.files.end() && it->second.digest == root_digest;
                          },
                          publisher.settings().protocol));
  // This trust dir made the root: it is trusted, and so is the state it published (verified
  // once more and saved as the rollback reference), which it vouches for as its publisher.
  const TrustDir& dir = publisher.verifier().dir();
  TRUSTCTL_TRY_ASSIGN(auto metadata_dir, dir.metadata_dir(ref, true));
  TRUSTCTL_TRY(fs::write_file_atomic(metadata_dir + "/root.json", files.at("1.root.json"), 0600));
  TRUSTCTL_TRY(dir.set_root_origin(ref, RootOrigin::kCreated));
  TRUSTCTL_TRY(verify_state(publisher.verifier(), publisher.store(), published));
  TRUSTCTL_TRY(dir.set_publisher_anchor(ref, 1));
  publisher.notice("initialised trust data for " + ref.name() + " (root key " +
                   keys.at("root").public_key().key_id() + ")");
  return {};
}

}  // namespace trustctl::trust
