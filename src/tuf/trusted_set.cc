#include "trustctl/tuf/trusted_set.h"

#include <limits>

namespace trustctl::tuf {
namespace {

Error freshness(std::string message) { return Error(ErrorCode::kFreshness, std::move(message)); }
Error expired(std::string message) { return Error(ErrorCode::kExpired, std::move(message)); }
Error verification(std::string message) {
  return Error(ErrorCode::kVerification, std::move(message));
}
std::string v(std::int64_t n) { return std::to_string(n); }

}  // namespace

Result<TrustedSet> TrustedSet::create(std::string_view root_bytes, std::int64_t now,
                                      KeyIds key_ids) {
  auto root = Metadata<Root>::from_bytes(root_bytes);
  if (!root) return root.error().wrap("trusted root");
  if (key_ids == KeyIds::kComputed)
    TRUSTCTL_TRY(check_key_ids(root->signed_part().keys,
                               "trusted root version " + v(root->signed_part().version)));
  if (auto s = root->verify_delegate("root", *root); !s)
    return s.error().wrap("trusted root version " + v(root->signed_part().version) +
                          " is not signed by its own root keys");
  return TrustedSet(std::move(root).value(), now, key_ids);
}

Status TrustedSet::check_keys(const Keys& keys, std::string_view where) const {
  if (key_ids_ == KeyIds::kOpaque) return {};
  return check_key_ids(keys, where);
}

Status TrustedSet::update_root(std::string_view bytes) {
  if (timestamp_) return Error(ErrorCode::kInternal, "cannot update root after timestamp");
  const std::int64_t current = root_.signed_part().version;
  auto next = Metadata<Root>::from_bytes(bytes);
  if (!next) return next.error().wrap("new root (after version " + v(current) + ")");
  const std::int64_t version = next->signed_part().version;
  TRUSTCTL_TRY(check_keys(next->signed_part().keys, "root version " + v(version)));
  if (auto s = root_.verify_delegate("root", *next); !s)
    return s.error().wrap("root version " + v(version) + " is not signed by the trusted root " +
                          v(current) + "'s keys");
  if (current == std::numeric_limits<std::int64_t>::max() || version != current + 1)
    return freshness("root version " + v(version) + " does not follow the trusted root version " +
                     v(current) + " (expected " + v(current + 1) + ")");
  if (auto s = next->verify_delegate("root", *next); !s)
    return s.error().wrap("root version " + v(version) + " is not signed by its own root keys");
  root_ = std::move(next).value();
  return {};
}

Status TrustedSet::check_root_expiry() const {
  if (root_.signed_part().is_expired(now_))
    return expired("root version " + v(root_.signed_part().version) + " expired at " +
                   format_expires(root_.signed_part().expires) +
                   " (freeze attack or stale "
                   "root: a newer root must be published)");
  return {};
}

bool TrustedSet::timestamp_or_snapshot_keys_rotated() const {
  for (const char* role : {"timestamp", "snapshot"}) {
    const auto& a = initial_root_.roles.at(role);
    const auto& b = root_.signed_part().roles.at(role);
    if (a.keyids != b.keyids || a.threshold != b.threshold) return true;
  }
  return false;
}

Result<bool> TrustedSet::update_timestamp(std::string_view bytes) {
  if (snapshot_) return Error(ErrorCode::kInternal, "cannot update timestamp after snapshot");
  TRUSTCTL_TRY(check_root_expiry());
  auto next = Metadata<Timestamp>::from_bytes(bytes);
  if (!next) return next.error();
  const auto& ns = next->signed_part();
  if (auto s = root_.verify_delegate("timestamp", *next); !s)
    return s.error().wrap("timestamp version " + v(ns.version));
  if (timestamp_) {
    const auto& ts = timestamp_->signed_part();
    if (ns.version < ts.version)
      return freshness("timestamp rollback: version " + v(ns.version) +
                       " is older than the trusted version " + v(ts.version));
    if (ns.version == ts.version) return false;
    if (ns.snapshot_meta.version < ts.snapshot_meta.version)
      return freshness("timestamp version " + v(ns.version) + " lists snapshot version " +
                       v(ns.snapshot_meta.version) + ", older than the trusted snapshot version " +
                       v(ts.snapshot_meta.version) + " (snapshot rollback)");
  }
  // Kept even when expired: it is still the reference for rollback checks.
  timestamp_ = std::move(next).value();
  TRUSTCTL_TRY(check_final_timestamp());
  return true;
}

Status TrustedSet::check_final_timestamp() const {
  if (!timestamp_) return Error(ErrorCode::kInternal, "no timestamp loaded");
  const auto& ts = timestamp_->signed_part();
  if (ts.is_expired(now_))
    return expired("timestamp version " + v(ts.version) + " expired at " +
                   format_expires(ts.expires) +
                   " (freeze attack, or the publisher must re-sign the timestamp)");
  return {};
}

Status TrustedSet::update_snapshot(std::string_view bytes, bool trusted) {
  if (!timestamp_) return Error(ErrorCode::kInternal, "cannot update snapshot before timestamp");
  if (!targets_.empty()) return Error(ErrorCode::kInternal, "cannot update snapshot after targets");
  TRUSTCTL_TRY(check_final_timestamp());
  const MetaFile& meta = timestamp_->signed_part().snapshot_meta;
  if (!trusted) {
    TRUSTCTL_TRY(verify_length_and_hashes(
        bytes, meta.length, meta.hashes,
        "snapshot (as listed in timestamp version " + v(timestamp_->signed_part().version) + ")"));
  }
  auto next = Metadata<Snapshot>::from_bytes(bytes);
  if (!next) return next.error();
  const auto& ns = next->signed_part();
  if (auto s = root_.verify_delegate("snapshot", *next); !s)
    return s.error().wrap("snapshot version " + v(ns.version));
  if (snapshot_) {
    for (const auto& [name, old_meta] : snapshot_->signed_part().meta) {
      auto it = ns.meta.find(name);
      if (it == ns.meta.end())
        return freshness("snapshot version " + v(ns.version) + " drops " + name +
                         ", listed in the trusted snapshot version " +
                         v(snapshot_->signed_part().version) + " (rollback)");
      if (it->second.version < old_meta.version)
        return freshness("snapshot version " + v(ns.version) + " lists " + name + " version " +
                         v(it->second.version) + ", older than the trusted version " +
                         v(old_meta.version) + " (rollback)");
    }
  }
  snapshot_ = std::move(next).value();
  return check_final_snapshot();
}

Status TrustedSet::check_final_snapshot() const {
  if (!snapshot_) return Error(ErrorCode::kInternal, "no snapshot loaded");
  const auto& s = snapshot_->signed_part();
  if (s.is_expired(now_))
    return expired("snapshot version " + v(s.version) + " expired at " + format_expires(s.expires) +
                   " (freeze attack, or the publisher must re-sign "
                   "the snapshot)");
  const std::int64_t expected = timestamp_->signed_part().snapshot_meta.version;
  if (s.version != expected)
    return freshness("snapshot version " + v(s.version) + " is not the version " + v(expected) +
                     " the timestamp lists (mix-and-match or rollback)");
  return {};
}

Status TrustedSet::update_targets(std::string_view bytes) {
  return update_delegated_targets(bytes, "targets", "root");
}

const Metadata<Targets>* TrustedSet::targets(const std::string& role) const {
  auto it = targets_.find(role);
  return it == targets_.end() ? nullptr : &it->second;
}

Status TrustedSet::update_delegated_targets(std::string_view bytes, const std::string& role,
                                            const std::string& delegator) {
  if (!snapshot_) return Error(ErrorCode::kInternal, "cannot load targets before snapshot");
  TRUSTCTL_TRY(check_final_snapshot());
  const std::string what = role == "targets" ? "targets" : "delegated role '" + role + "'";
  if (delegator != "root" && targets(delegator) == nullptr)
    return Error(ErrorCode::kInternal,
                 "delegator '" + delegator + "' of " + what + " is not loaded");
  const auto& snap = snapshot_->signed_part();
  auto meta_it = snap.meta.find(role + ".json");
  if (meta_it == snap.meta.end())
    return verification("snapshot version " + v(snap.version) + " does not list " + role + ".json");
  const MetaFile& meta = meta_it->second;
  TRUSTCTL_TRY(
      verify_length_and_hashes(bytes, meta.length, meta.hashes,
                               what + " (as listed in snapshot version " + v(snap.version) + ")"));
  auto next = Metadata<Targets>::from_bytes(bytes);
  if (!next) return next.error().wrap(what);
  const auto& nt = next->signed_part();
  TRUSTCTL_TRY(verify_by(delegator, role, *next));
  if (nt.delegations)
    TRUSTCTL_TRY(
        check_keys(nt.delegations->keys, what + " version " + v(nt.version) + " (delegations)"));
  if (nt.version != meta.version)
    return freshness(what + " version " + v(nt.version) + " is not the version " + v(meta.version) +
                     " snapshot version " + v(snap.version) + " lists (rollback or mix-and-match)");
  if (nt.is_expired(now_))
    return expired(what + " version " + v(nt.version) + " expired at " +
                   format_expires(nt.expires) + " (freeze attack, or the signer must re-sign)");
  targets_.insert_or_assign(role, std::move(next).value());
  for (auto it = verified_by_.begin(); it != verified_by_.end();)
    it = it->first == role ? verified_by_.erase(it) : std::next(it);
  verified_by_.emplace(role, delegator);
  return {};
}

Status TrustedSet::verify_by(const std::string& delegator, const std::string& role,
                             const Metadata<Targets>& md) const {
  const std::string what = role == "targets" ? "targets" : "delegated role '" + role + "'";
  Status signed_ok;
  if (delegator == "root") {
    signed_ok = root_.verify_delegate(role, md);
  } else {
    const Metadata<Targets>* parent = targets(delegator);
    if (parent == nullptr)
      return Error(ErrorCode::kInternal,
                   "delegator '" + delegator + "' of " + what + " is not loaded");
    signed_ok = parent->verify_delegate(role, md);
  }
  if (!signed_ok)
    return signed_ok.error().wrap(what + " version " + v(md.signed_part().version) +
                                  " (delegated by " + delegator + ")");
  return {};
}

Result<const Metadata<Targets>*> TrustedSet::targets_via(const std::string& role,
                                                         const std::string& delegator) {
  const Metadata<Targets>* md = targets(role);
  if (md == nullptr) return md;
  if (verified_by_.count({role, delegator}) == 0) {
    TRUSTCTL_TRY(verify_by(delegator, role, *md));
    verified_by_.emplace(role, delegator);
  }
  return md;
}

}  // namespace trustctl::tuf
