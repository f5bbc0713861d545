// repo repair (docs/operations.md, "Trust data a pusher made unverifiable"): the way back to the
// last state this trust dir verified, when the registry's trust data no longer verifies (a
// garbage N+1.root.json stops every client, and every publication, at the root walk).
#include <algorithm>
#include <limits>

#include "loaded.h"
#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/trust/content_trust.h"
#include "trustctl/tuf/trusted_set.h"

namespace trustctl::trust {
namespace {

using detail::sign_version;
using truststore::StoreState;

constexpr std::uint64_t kMaxFile = 5 * 1024 * 1024;

// The highest version of role `kind` (timestamp or snapshot) in `state` whose signature the
// trusted root accepts; 0 when none does. Versions nobody could have trusted do not count.
template <typename T>
std::int64_t highest_valid(truststore::OciTrustStore& store, const StoreState& state,
                           const tuf::Metadata<tuf::Root>& root, const std::string& role) {
  std::int64_t best = 0;
  for (const auto& [name, file] : state.files) {
    const bool match = role == "timestamp"
                           ? name == "timestamp.json"
                           : name.size() > role.size() + 6 &&
                                 name.substr(name.size() - role.size() - 5) == role + ".json";
    if (!match) continue;
    auto bytes = store.file(state, name, kMaxFile);
    if (!bytes) continue;
    auto md = tuf::Metadata<T>::from_bytes(*bytes);
    if (!md || !root.verify_delegate(role, *md)) continue;
    best = std::max(best, md->signed_part().version);
  }
  return best;
}

}  // namespace

Result<TrustedView> ContentTrust::repair(std::vector<std::string>* dropped) {
  TRY_ASSIGN(auto metadata_dir, dir_.metadata_dir(ref_));
  if (!fs::exists(metadata_dir + "/root.json") || !fs::exists(metadata_dir + "/snapshot.json"))
    return Error(ErrorCode::kNoTrustData,
                 "this trust dir has no verified state of " + ref_.name() + " to repair from");
  if (!dir_.publisher_anchor(ref_))
    return Error(ErrorCode::kFreshness,
                 "this trust dir does not vouch for its saved state of " + ref_.name() +
                     " (it never published it): repair from the trust dir that publishes it");
  auto saved = [&](const std::string& role) {
    return fs::read_file(metadata_dir + "/" + tuf::role_file_name(role));
  };
  TRY_ASSIGN(auto root_bytes, saved("root"));
  TRY_ASSIGN(auto snapshot_bytes, saved("snapshot"));
  TRY_ASSIGN(auto trusted_root, tuf::Metadata<tuf::Root>::from_bytes(root_bytes));
  TRY_ASSIGN(auto saved_snapshot, tuf::Metadata<tuf::Snapshot>::from_bytes(snapshot_bytes));
  const tuf::Root& root = trusted_root.signed_part();
  for (const char* role : {"snapshot", "timestamp"})
    if (!holds_role_key(root, role)) return role_key(root, role).error();

  std::int64_t published_timestamp = 0;
  auto build =
      [&](const std::optional<StoreState>& current) -> Result<std::map<std::string, std::string>> {
    if (!current)
      return Error(ErrorCode::kNoTrustData,
                   ref_.name() + " has no trust data in the registry; nothing to repair");
    std::map<std::string, std::string> files;
    // 1. The root chain up to the trusted root, as a fresh pinned client walks it.
    const std::int64_t trusted_version = root.version;
    std::optional<tuf::TrustedSet> chain;
    for (std::int64_t v = 1; v <= trusted_version; ++v) {
      const std::string name = std::to_string(v) + ".root.json";
      auto bytes = store_.file(*current, name, tuf::Limits().root_max_length);
      if (!bytes) return bytes.error().wrap("cannot repair " + ref_.name() + ": the root chain");
      Status st = chain ? chain->update_root(*bytes) : Status();
      if (!chain) {
        auto first =
            tuf::TrustedSet::create(*bytes, now(), tuf::Dialect::kStandard, tuf::KeyIds::kComputed);
        if (!first)
          st = first.error();
        else
          chain.emplace(std::move(first).value());
      }
      if (!st)
        return st.error().wrap("cannot repair " + ref_.name() + ": " + name +
                               " in the registry no longer verifies");
      files[name] = std::move(bytes).value();
    }
    if (files[std::to_string(trusted_version) + ".root.json"] != root_bytes)
      return Error(ErrorCode::kVerification,
                   "cannot repair " + ref_.name() + ": the registry's root version " +
                       std::to_string(trusted_version) + " is not the one this trust dir trusts");
    // 2. The roles the saved snapshot lists, from the saved state (or the registry, by hash).
    for (const auto& [meta_name, meta] : saved_snapshot.signed_part().meta) {
      const std::string role = meta_name.substr(0, meta_name.size() - 5);
      const std::string name = std::to_string(meta.version) + "." + tuf::role_file_name(role);
      std::optional<std::string> bytes;
      for (int source = 0; source < 2 && !bytes; ++source) {
        auto b = source == 0 ? saved(role) : store_.file(*current, name, kMaxFile);
        if (!b) continue;
        auto md = tuf::Metadata<tuf::Targets>::from_bytes(*b);
        if (md && md->signed_part().version == meta.version &&
            tuf::verify_length_and_hashes(*b, meta.length, meta.hashes, name))
          bytes = std::move(b).value();
      }
      if (!bytes)
        return Error(ErrorCode::kVerification, "cannot repair " + ref_.name() + ": " + name +
                                                   " is neither in this trust dir nor intact in "
                                                   "the registry");
      files[name] = std::move(*bytes);
    }
    // 3. New snapshot and timestamp, above every version a client may have trusted.
    const std::int64_t t = now();
    tuf::Metadata<tuf::Snapshot> snapshot = saved_snapshot;
    const std::int64_t snapshot_version =
        std::max(saved_snapshot.signed_part().version,
                 highest_valid<tuf::Snapshot>(store_, *current, trusted_root, "snapshot"));
    TRY_ASSIGN(auto timestamp_saved, saved("timestamp"));
    TRY_ASSIGN(auto saved_timestamp, tuf::Metadata<tuf::Timestamp>::from_bytes(timestamp_saved));
    const std::int64_t timestamp_version =
        std::max(saved_timestamp.signed_part().version,
                 highest_valid<tuf::Timestamp>(store_, *current, trusted_root, "timestamp"));
    if (snapshot_version == std::numeric_limits<std::int64_t>::max() ||
        timestamp_version == std::numeric_limits<std::int64_t>::max())
      return Error(ErrorCode::kVerification,
                   "cannot repair " + ref_.name() + ": the registry's versions are exhausted");
    TRY_ASSIGN(auto snapshot_key, role_key(root, "snapshot"));
    TRY_ASSIGN(auto new_snapshot, sign_version(snapshot, snapshot_version + 1,
                                               t + options_.lifetimes.snapshot, snapshot_key));
    tuf::Metadata<tuf::Timestamp> timestamp = saved_timestamp;
    timestamp.mutate().snapshot_meta = tuf::MetaFile::of(snapshot_version + 1, new_snapshot);
    TRY_ASSIGN(auto timestamp_key, role_key(root, "timestamp"));
    TRY_ASSIGN(auto new_timestamp, sign_version(timestamp, timestamp_version + 1,
                                                t + options_.lifetimes.timestamp, timestamp_key));
    files[std::to_string(snapshot_version + 1) + ".snapshot.json"] = new_snapshot;
    files["timestamp.json"] = new_timestamp;
    published_timestamp = timestamp_version + 1;
    if (dropped) {
      dropped->clear();
      for (const auto& [name, f] : current->files)
        if (!files.count(name)) dropped->push_back(name);
    }
    return files;
  };
  TrustedView repaired;
  auto confirm = [&](const StoreState& latest) -> Result<bool> {
    TrustedView view;
    TRY_ASSIGN(auto loaded, load(latest, &view));
    if (loaded.updater.trusted_set()->timestamp()->signed_part().version < published_timestamp)
      return false;
    repaired = view;
    return true;
  };
  TRY(truststore::publish(store_, build, confirm, options_.publish));
  TRY(dir_.set_publisher_anchor(ref_, published_timestamp));
  return repaired;
}

}  // namespace trustctl::trust
