// The trusted metadata set (TUF spec 1.0.x section 5, python-tuf's TrustedMetadataSet): bytes
// in, verdicts out, no I/O. Enforces the order root -> timestamp -> snapshot -> targets ->
// delegated targets, signatures and thresholds, rollback and freeze checks, and the lengths and
// hashes that bind the roles together. Every check and its error class is listed in
// docs/tuf-verifier.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"
#include "trustctl/tuf/metadata.h"

namespace trustctl::tuf {

class TrustedSet {
 public:
  // Trusts `root_bytes` (the local trusted root): it must parse and be signed by its own root
  // threshold. Expiry is not checked here (an expired root may still be rotated to a new one);
  // `now` (unix seconds) is the reference time of every later expiry check. With
  // KeyIds::kComputed every root and every delegation must list its keys under their computed
  // IDs (check_key_ids).
  static Result<TrustedSet> create(std::string_view root_bytes, std::int64_t now,
                                   KeyIds key_ids = KeyIds::kOpaque);

  // Root N -> N+1: signed by a threshold of root N's root keys and of its own root keys,
  // version exactly N+1 (none after the largest version). Only before a timestamp is loaded. Expiry
  // is not checked (see check_root_expiry()).
  Status update_root(std::string_view bytes);
  // The final root must not be expired (kFreshness).
  Status check_root_expiry() const;
  // True when the timestamp or snapshot keys (key IDs or threshold) of the current root differ
  // from those of the root the set was created with (spec 5.3.11: fast-forward recovery).
  bool timestamp_or_snapshot_keys_rotated() const;

  // Returns true when accepted, false when it has the trusted timestamp's version (the trusted
  // one is kept). Checks: final root not expired, signed by root's timestamp threshold, no
  // version rollback, snapshot version in meta not going back, not expired (an expired new
  // timestamp is kept as the rollback reference, but the call fails).
  Result<bool> update_timestamp(std::string_view bytes);

  // `trusted` = loaded from the local store: then the length/hashes in timestamp are not
  // checked (the timestamp may have moved on). Checks: timestamp loaded and not expired,
  // length/hashes, signed by root's snapshot threshold, no role removed or rolled back vs the
  // trusted snapshot, then (after storing as the new reference) not expired and version equal to
  // the timestamp's snapshot version.
  Status update_snapshot(std::string_view bytes, bool trusted = false);

  // Top-level targets (delegated by root).
  Status update_targets(std::string_view bytes);
  // `role` delegated by `delegator` (already trusted). Checks: snapshot loaded, valid and
  // current, snapshot lists `role`.json, length/hashes, signed by the delegator's threshold
  // for role, version equals snapshot's, not expired.
  Status update_delegated_targets(std::string_view bytes, const std::string& role,
                                  const std::string& delegator);
  // The loaded `role` as delegated by `delegator`: a role reached through another delegator
  // earlier (a "diamond") is verified again against this one's keys and threshold, so it never
  // inherits authority from another search path. nullptr when `role` is not loaded.
  Result<const Metadata<Targets>*> targets_via(const std::string& role,
                                               const std::string& delegator);

  const Metadata<Root>& root() const { return root_; }
  const std::optional<Metadata<Timestamp>>& timestamp() const { return timestamp_; }
  const std::optional<Metadata<Snapshot>>& snapshot() const { return snapshot_; }
  // "targets" or a delegated role name; nullptr when not loaded.
  const Metadata<Targets>* targets(const std::string& role = "targets") const;
  std::int64_t reference_time() const { return now_; }

 private:
  TrustedSet(Metadata<Root> root, std::int64_t now, KeyIds key_ids)
      : root_(std::move(root)), initial_root_(root_.signed_part()), now_(now), key_ids_(key_ids) {}
  Status check_keys(const Keys& keys, std::string_view where) const;
  // The delegator's verdict on `role` (signature threshold over `md`).
  Status verify_by(const std::string& delegator, const std::string& role,
                   const Metadata<Targets>& md) const;
  Status check_final_timestamp() const;
  Status check_final_snapshot() const;

  Metadata<Root> root_;
  Root initial_root_;
  std::optional<Metadata<Timestamp>> timestamp_;
  std::optional<Metadata<Snapshot>> snapshot_;
  std::map<std::string, Metadata<Targets>> targets_;
  std::set<std::pair<std::string, std::string>> verified_by_;  // (role, delegator)
  std::int64_t now_;
  KeyIds key_ids_;
};

}  // namespace trustctl::tuf
