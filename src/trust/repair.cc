// repo repair (docs/operations.md, "Trust data a pusher made unverifiable"): the way back to the
// last state this trust dir verified, when the store's trust data no longer verifies (a garbage
// N+1.root.json stops every client, and every publication, at the root walk).
#include <algorithm>
#include <limits>

#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/trust/operations.h"
#include "trustctl/tuf/trusted_set.h"

namespace trustctl::trust {
namespace {

using detail::sign_version;
using truststore::StoreState;

constexpr std::uint64_t kMaxFile = 5 * 1024 * 1024;

// This trust dir's saved, verified state of the repository.
struct Saved {
  std::string dir;
  std::string root_bytes;
  tuf::Metadata<tuf::Root> root;
  tuf::Metadata<tuf::Snapshot> snapshot;
  tuf::Metadata<tuf::Timestamp> timestamp;
  Result<std::string> file(const std::string& role) const {
    return fs::read_file(dir + "/" + tuf::role_file_name(role));
  }
};

Result<Saved> read_saved(const TrustDir& trust_dir, const registry::Reference& ref) {
  Saved s;
  TRUSTCTL_TRY_ASSIGN(s.dir, trust_dir.metadata_dir(ref));
  if (!fs::exists(s.dir + "/root.json") || !fs::exists(s.dir + "/snapshot.json"))
    return Error(ErrorCode::kNoTrustData,
                 "this trust dir has no verified state of " + ref.name() + " to repair from");
  if (!trust_dir.publisher_anchor(ref))
    return Error(ErrorCode::kFreshness,
                 "this trust dir does not vouch for its saved state of " + ref.name() +
                     " (it never published it): repair from the trust dir that publishes it");
  TRUSTCTL_TRY_ASSIGN(s.root_bytes, s.file("root"));
  TRUSTCTL_TRY_ASSIGN(s.root, tuf::Metadata<tuf::Root>::from_bytes(s.root_bytes));
  TRUSTCTL_TRY_ASSIGN(auto snapshot_bytes, s.file("snapshot"));
  TRUSTCTL_TRY_ASSIGN(s.snapshot, tuf::Metadata<tuf::Snapshot>::from_bytes(snapshot_bytes));
  TRUSTCTL_TRY_ASSIGN(auto timestamp_bytes, s.file("timestamp"));
  TRUSTCTL_TRY_ASSIGN(s.timestamp, tuf::Metadata<tuf::Timestamp>::from_bytes(timestamp_bytes));
  return s;
}

// 1.root.json up to the trusted root, from the store, verified as a fresh pinned client walks it.
Status root_chain(truststore::TrustStore& store, const StoreState& current, const Saved& saved,
                  std::int64_t now, const std::string& repo,
                  std::map<std::string, std::string>& files) {
  const std::int64_t trusted = saved.root.signed_part().version;
  std::optional<tuf::TrustedSet> chain;
  for (std::int64_t v = 1; v <= trusted; ++v) {
    const std::string name = std::to_string(v) + ".root.json";
    auto bytes = store.file(current, name, tuf::Limits().root_max_length);
    if (!bytes) return bytes.error().wrap("cannot repair " + repo + ": the root chain");
    Status st;
    if (chain) {
      st = chain->update_root(*bytes);
    } else if (auto first = tuf::TrustedSet::create(*bytes, now, tuf::KeyIds::kComputed)) {
      chain.emplace(std::move(first).value());
    } else {
      st = first.error();
    }
    if (!st) return st.error().wrap("cannot repair " + repo + ": " + name + " no longer verifies");
    files[name] = std::move(bytes).value();
  }
  if (files[std::to_string(trusted) + ".root.json"] != saved.root_bytes)
    return Error(ErrorCode::kVerification,
                 "cannot repair " + repo + ": root version " + std::to_string(trusted) +
                     " in the store is not the one this trust dir trusts");
  return {};
}

// The roles the saved snapshot lists: the saved copies, else the store's when their hash fits.
Status listed_roles(truststore::TrustStore& store, const StoreState& current, const Saved& saved,
                    const std::string& repo, std::map<std::string, std::string>& files) {
  for (const auto& [meta_name, meta] : saved.snapshot.signed_part().meta) {
    const std::string role = meta_name.substr(0, meta_name.size() - 5);
    const std::string name = std::to_string(meta.version) + "." + tuf::role_file_name(role);
    std::optional<std::string> bytes;
    for (int source = 0; source < 2 && !bytes; ++source) {
      auto b = source == 0 ? saved.file(role) : store.file(current, name, kMaxFile);
      if (!b) continue;
      auto md = tuf::Metadata<tuf::Targets>::from_bytes(*b);
      if (md && md->signed_part().version == meta.version &&
          tuf::verify_length_and_hashes(*b, meta.length, meta.hashes, name))
        bytes = std::move(b).value();
    }
    if (!bytes)
      return Error(ErrorCode::kVerification, "cannot repair " + repo + ": " + name +
                                                 " is neither in this trust dir nor intact in the "
                                                 "store");
    files[name] = std::move(*bytes);
  }
  return {};
}

// The highest version of `role` (timestamp or snapshot) in the store whose signature the trusted
// root accepts; 0 when none does. Versions nobody could have trusted do not count.
template <typename T>
std::int64_t highest_valid(truststore::TrustStore& store, const StoreState& state,
                           const tuf::Metadata<tuf::Root>& root, const std::string& role) {
  std::int64_t best = 0;
  for (const auto& [name, file] : state.files) {
    if (!(name == role + ".json" || name.ends_with("." + role + ".json"))) continue;
    auto bytes = store.file(state, name, kMaxFile);
    if (!bytes) continue;
    auto md = tuf::Metadata<T>::from_bytes(*bytes);
    if (!md || !root.verify_delegate(role, *md)) continue;
    best = std::max(best, md->signed_part().version);
  }
  return best;
}

}  // namespace

Result<TrustedView> repair(const Publisher& publisher, std::vector<std::string>* dropped) {
  const registry::Reference& ref = publisher.repository();
  TRUSTCTL_TRY_ASSIGN(auto saved, read_saved(publisher.verifier().dir(), ref));
  const tuf::Root& root = saved.root.signed_part();
  for (const char* role : {"snapshot", "timestamp"})
    if (!publisher.holds(root, role)) return publisher.key(root, role).error();
  truststore::TrustStore& store = publisher.store();
  std::int64_t published_timestamp = 0;
  auto build =
      [&](const std::optional<StoreState>& current) -> Result<std::map<std::string, std::string>> {
    if (!current)
      return Error(ErrorCode::kNoTrustData, ref.name() + " has no trust data; nothing to repair");
    std::map<std::string, std::string> files;
    TRUSTCTL_TRY(root_chain(store, *current, saved, publisher.now(), ref.name(), files));
    TRUSTCTL_TRY(listed_roles(store, *current, saved, ref.name(), files));
    // New snapshot and timestamp, above every version a client may have trusted.
    const std::int64_t snapshot_version =
        std::max(saved.snapshot.signed_part().version,
                 highest_valid<tuf::Snapshot>(store, *current, saved.root, "snapshot"));
    const std::int64_t timestamp_version =
        std::max(saved.timestamp.signed_part().version,
                 highest_valid<tuf::Timestamp>(store, *current, saved.root, "timestamp"));
    if (std::max(snapshot_version, timestamp_version) == std::numeric_limits<std::int64_t>::max())
      return Error(ErrorCode::kVerification,
                   "cannot repair " + ref.name() + ": versions exhausted");
    const std::int64_t t = publisher.now();
    const Lifetimes& life = publisher.settings().lifetimes;
    tuf::Metadata<tuf::Snapshot> snapshot = saved.snapshot;
    TRUSTCTL_TRY_ASSIGN(auto snapshot_key, publisher.key(root, "snapshot"));
    TRUSTCTL_TRY_ASSIGN(auto snapshot_bytes, sign_version(snapshot, snapshot_version + 1,
                                                          t + life.snapshot, snapshot_key));
    tuf::Metadata<tuf::Timestamp> timestamp = saved.timestamp;
    timestamp.mutate().snapshot_meta = tuf::MetaFile::of(snapshot_version + 1, snapshot_bytes);
    TRUSTCTL_TRY_ASSIGN(auto timestamp_key, publisher.key(root, "timestamp"));
    TRUSTCTL_TRY_ASSIGN(auto timestamp_bytes, sign_version(timestamp, timestamp_version + 1,
                                                           t + life.timestamp, timestamp_key));
    files[std::to_string(snapshot_version + 1) + ".snapshot.json"] = snapshot_bytes;
    files["timestamp.json"] = timestamp_bytes;
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
    TRUSTCTL_TRY_ASSIGN(auto view, verify_state(publisher.verifier(), store, latest));
    if (view.verified.timestamp_version() < published_timestamp) return false;
    repaired = view.verified.view;
    return true;
  };
  TRUSTCTL_TRY(truststore::publish(store, build, confirm, publisher.settings().protocol));
  TRUSTCTL_TRY(publisher.verifier().dir().set_publisher_anchor(ref, published_timestamp));
  return repaired;
}

}  // namespace trustctl::trust
