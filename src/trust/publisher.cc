#include "trustctl/trust/publisher.h"

#include <algorithm>

#include "proposals.h"
#include "signing.h"
#include "trustctl/core/log.h"
#include "withdrawals.h"

namespace trustctl::trust {
namespace {

using detail::sign_version;
using truststore::StoreState;

constexpr std::uint64_t kMaxFile = 5 * 1024 * 1024;

bool is_root_file(const std::string& name) {
  return name.size() > 10 && name.substr(name.size() - 10) == ".root.json";
}

// Whether a signer's waiting version still means something: its signer is still delegated and
// it proposes the version after the signer's current one.
bool live_proposal(const std::string& signer, const std::string& bytes,
                   const tuf::Targets& new_targets, const tuf::Snapshot& snapshot) {
  if (!new_targets.delegations || !new_targets.delegations->find(signer)) return false;
  auto md = tuf::Metadata<tuf::Targets>::from_bytes(bytes);
  auto meta = snapshot.meta.find(signer + ".json");
  const std::int64_t current = meta == snapshot.meta.end() ? 0 : meta->second.version;
  return md && md->signed_part().version == current + 1;
}

// Whether `name` is a signer's version the snapshot lists and the plan does not replace.
bool listed_signer_version(const std::string& name, const tuf::Snapshot& snapshot,
                           const Plan& plan) {
  for (const auto& [meta_name, meta] : snapshot.meta) {
    if (meta_name == "targets.json") continue;
    const std::string role = meta_name.substr(0, meta_name.size() - 5);
    if (name == std::to_string(meta.version) + "." + meta_name && !plan.delegated.count(role))
      return true;
  }
  return false;
}

// The files of the current state the new one keeps: every root, the signers' versions the
// snapshot lists (unless replaced now), and other signers' proposals that are still live; with
// resign false (only proposals change) everything but the replaced proposals.
Result<std::map<std::string, std::string>> carried_files(truststore::TrustStore& store,
                                                         const StoreState& current,
                                                         const Plan& plan,
                                                         const tuf::TrustedSet& ts) {
  const tuf::Snapshot& snapshot = ts.snapshot()->signed_part();
  const tuf::Targets& new_targets =
      plan.targets ? plan.targets->signed_part() : ts.targets()->signed_part();
  std::map<std::string, std::string> files;
  for (const auto& [name, f] : current.files) {
    bool keep = !plan.resign || is_root_file(name) || listed_signer_version(name, snapshot, plan);
    auto signer = detail::pending_signer(name);
    if (signer) keep = plan.pending.count(*signer) == 0;
    if (!keep) continue;
    TRUSTCTL_TRY_ASSIGN(auto bytes, store.file(current, name, kMaxFile));
    if (signer && plan.resign && !live_proposal(*signer, bytes, new_targets, snapshot))
      continue;  // stale: dropped
    files[name] = std::move(bytes);
  }
  for (const auto& [signer, bytes] : plan.pending)
    if (bytes) files[detail::pending_file(signer)] = *bytes;
  if (plan.root) {
    TRUSTCTL_TRY_ASSIGN(auto root_bytes, plan.root->to_bytes());
    files[std::to_string(plan.root->signed_part().version) + ".root.json"] = root_bytes;
  }
  return files;
}

// The next snapshot's body: the current one listing the new targets and signers' versions, with
// this publication's withdrawals recorded and stale ones dropped.
Result<tuf::Metadata<tuf::Snapshot>> next_snapshot(const tuf::TrustedSet& ts, const Plan& plan,
                                                   const tuf::Targets& targets,
                                                   const std::string& targets_bytes,
                                                   std::map<std::string, std::string>& files) {
  tuf::Metadata<tuf::Snapshot> snapshot = *ts.snapshot();
  tuf::Snapshot& body = snapshot.mutate();
  body.meta["targets.json"] = tuf::MetaFile::of(targets.version, targets_bytes);
  for (const auto& [role, bytes] : plan.delegated) {
    TRUSTCTL_TRY_ASSIGN(auto md, tuf::Metadata<tuf::Targets>::from_bytes(bytes));
    const std::int64_t version = md.signed_part().version;
    body.meta[role + ".json"] = tuf::MetaFile::of(version, bytes);
    files[std::to_string(version) + "." + tuf::role_file_name(role)] = bytes;
  }
  for (const auto& [signer, withdrawn] : plan.withdraw)
    detail::record_withdrawal(body, signer, {withdrawn.first, withdrawn.second});
  std::vector<std::string> signers;
  if (targets.delegations)
    for (const auto& r : targets.delegations->roles) signers.push_back(r.name);
  detail::prune_withdrawals(body, signers);
  return snapshot;
}

}  // namespace

void Publisher::notice(const std::string& message) const {
  if (verifier_.options().notice)
    verifier_.options().notice(message);
  else
    log::info(message);
}

bool Publisher::holds(const tuf::Root& root, const std::string& role) const {
  auto it = root.roles.find(role);
  auto all = keys_.list();
  if (it == root.roles.end() || !all) return false;
  const auto& ids = it->second.keyids;
  return std::any_of(all->begin(), all->end(), [&](const keystore::KeyInfo& k) {
    return std::find(ids.begin(), ids.end(), k.id) != ids.end();
  });
}

Result<crypto::PrivateKey> Publisher::key(const tuf::Root& root, const std::string& role) const {
  auto it = root.roles.find(role);
  if (it == root.roles.end())
    return Error(ErrorCode::kVerification, "root lists no " + role + " role");
  TRUSTCTL_TRY_ASSIGN(auto all, keys_.list());
  const auto& ids = it->second.keyids;
  for (const auto& k : all)
    if (std::find(ids.begin(), ids.end(), k.id) != ids.end()) return keys_.load(k.id);
  return Error(ErrorCode::kAuth, "this trust dir holds no " + role + " key of " +
                                     repository().name() + " (root lists " +
                                     (ids.empty() ? "none" : ids[0]) +
                                     "); import it with: trustctl key import FILE");
}

Result<std::map<std::string, std::string>> Publisher::build(const StoreState& current,
                                                            const Planner& planner) const {
  TRUSTCTL_TRY_ASSIGN(auto view, verify_state(verifier_, store_, current, ExpiryPolicy::kRenewal));
  TRUSTCTL_TRY_ASSIGN(Plan plan, planner(current, view.verified));
  const tuf::TrustedSet& ts = view.verified.trusted();
  const tuf::Root& root = plan.root ? plan.root->signed_part() : ts.root().signed_part();
  TRUSTCTL_TRY_ASSIGN(auto files, carried_files(store_, current, plan, ts));
  if (!plan.resign) return files;
  // The keys first (a trust dir without them cannot publish at all), then whether this trust
  // dir vouches for the state it is about to re-sign; only then are keys unlocked.
  for (const char* role : {"targets", "snapshot", "timestamp"}) {
    if (std::string_view(role) == "targets" && !plan.targets) continue;
    if (!holds(root, role)) return key(root, role).error();
  }
  TRUSTCTL_TRY(check_vouched(ts));

  const std::int64_t t = now();
  const Lifetimes& life = settings_.lifetimes;
  tuf::Metadata<tuf::Targets> targets = plan.targets ? *plan.targets : *ts.targets();
  std::string targets_bytes;
  if (plan.targets) {
    TRUSTCTL_TRY_ASSIGN(auto targets_key, key(root, "targets"));
    TRUSTCTL_TRY_ASSIGN(targets_bytes,
                        sign_version(targets, ts.targets()->signed_part().version + 1,
                                     t + life.targets, targets_key));
  } else {
    const std::string name = std::to_string(targets.signed_part().version) + ".targets.json";
    TRUSTCTL_TRY_ASSIGN(targets_bytes, store_.file(current, name, kMaxFile));
  }
  const tuf::Targets& tg = targets.signed_part();
  TRUSTCTL_TRY_ASSIGN(auto snapshot, next_snapshot(ts, plan, tg, targets_bytes, files));
  TRUSTCTL_TRY_ASSIGN(auto snapshot_key, key(root, "snapshot"));
  TRUSTCTL_TRY_ASSIGN(
      auto snapshot_bytes,
      sign_version(snapshot, snapshot.signed_part().version + 1, t + life.snapshot, snapshot_key));
  tuf::Metadata<tuf::Timestamp> timestamp = *ts.timestamp();
  timestamp.mutate().snapshot_meta =
      tuf::MetaFile::of(snapshot.signed_part().version, snapshot_bytes);
  TRUSTCTL_TRY_ASSIGN(auto timestamp_key, key(root, "timestamp"));
  TRUSTCTL_TRY_ASSIGN(auto timestamp_bytes,
                      sign_version(timestamp, timestamp.signed_part().version + 1,
                                   t + life.timestamp, timestamp_key));
  files[std::to_string(tg.version) + ".targets.json"] = targets_bytes;
  files[std::to_string(snapshot.signed_part().version) + ".snapshot.json"] = snapshot_bytes;
  files["timestamp.json"] = timestamp_bytes;
  return files;
}

Result<StoreView> Publisher::publish(const Planner& planner, const Confirm& confirm) const {
  auto build_files =
      [&](const std::optional<StoreState>& current) -> Result<std::map<std::string, std::string>> {
    if (!current)
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + repository().name() + " vanished while publishing");
    return build(*current, planner);
  };
  std::optional<StoreView> confirmed;
  auto check = [&](const StoreState& latest) -> Result<bool> {
    TRUSTCTL_TRY_ASSIGN(auto view, verify_state(verifier_, store_, latest));
    TRUSTCTL_TRY_ASSIGN(bool present, confirm(view));
    if (present) confirmed.emplace(std::move(view));
    return present;
  };
  TRUSTCTL_TRY(truststore::publish(store_, build_files, check, settings_.protocol));
  // What this trust dir published (or a later state containing it) is saved as its trusted
  // state: from now on it vouches for it, and never re-signs anything older.
  TRUSTCTL_TRY(
      verifier_.dir().set_publisher_anchor(repository(), confirmed->verified.timestamp_version()));
  return std::move(*confirmed);
}

Status Publisher::check_vouched(const tuf::TrustedSet& current) const {
  const std::string name = repository().name();
  if (verifier_.dir().publisher_anchor(repository())) return {};
  const auto& ts = current.timestamp()->signed_part();
  const auto& accept = settings_.accept_state;
  if (accept && *accept == ts.version) return {};
  const auto& tg = current.targets()->signed_part();
  const std::string shown = "timestamp version " + std::to_string(ts.version) + " (expire" +
                            (ts.expires <= now() ? "d " : "s ") + tuf::format_expires(ts.expires) +
                            "; targets version " + std::to_string(tg.version) + ", " +
                            std::to_string(tg.targets.size()) +
                            " tag(s) signed by the repository key)";
  const std::string why =
      accept ? "--accept-state " + std::to_string(*accept) +
                   " does not match: the registry shows " + shown
             : "this trust dir has never published " + name +
                   " and vouches for none of its states, and the registry shows " + shown;
  return Error(ErrorCode::kFreshness,
               "refusing to re-sign the trust data of " + name + ": " + why +
                   ". A registry pusher can show an older state that is still validly signed; "
                   "re-signing it would bring back what was revoked since. Keep this trust dir "
                   "between runs (docs/operations.md), or, if that version is the latest one "
                   "published (check 'trustctl repo status " +
                   name + "' where it was published, or your records), run again with " +
                   "--accept-state " + std::to_string(ts.version));
}

}  // namespace trustctl::trust
