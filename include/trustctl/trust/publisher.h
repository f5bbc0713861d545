// The write side of content trust (docs/architecture.md): applies one planned change to the
// verified current state and publishes it through the store's detect-and-repair protocol. The
// operations (sign, revoke, signers, rotation, refresh, repair: operations.h) each plan a change;
// the Publisher carries the rest of the trust data over, signs targets, snapshot and timestamp,
// checks that this trust dir vouches for the state it re-signs, and confirms the result.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/trust/store_view.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::trust {

struct Lifetimes {  // seconds; Notary's defaults
  std::int64_t root = 10LL * 365 * 86400;
  std::int64_t targets = 3LL * 365 * 86400;
  std::int64_t snapshot = 3LL * 365 * 86400;
  std::int64_t timestamp = 14LL * 86400;
};

struct PublishSettings {
  Lifetimes lifetimes;
  crypto::KeyType key_type = crypto::KeyType::kEcdsaP256;  // for keys made by init and rotate
  truststore::PublishOptions protocol;
  // A publisher that vouches for no state of the repository (it never published it, e.g. a CI
  // job on a cache miss) re-signs the registry's state only when it has exactly this timestamp
  // version, as an operator checked (--accept-state; docs/operations.md).
  std::optional<std::int64_t> accept_state;
};

// What one publication changes, built against the current verified state.
struct Plan {
  std::optional<tuf::Metadata<tuf::Root>> root;        // a new root version, signed
  std::optional<tuf::Metadata<tuf::Targets>> targets;  // changed top-level targets (unsigned)
  std::map<std::string, std::string> delegated;        // signer -> new signed version
  std::map<std::string, std::optional<std::string>> pending;  // signer -> proposal (or drop)
  // signer -> (version, sha256 of the signed part) of a fully signed proposal withdrawn now,
  // recorded in the snapshot (docs/signers.md)
  std::map<std::string, std::pair<std::int64_t, std::string>> withdraw;
  bool resign = true;  // new snapshot and timestamp (false: only proposals change)
};

class Publisher {
 public:
  Publisher(truststore::TrustStore& store, keystore::KeyStore& keys, const Verifier& verifier,
            PublishSettings settings)
      : store_(store), keys_(keys), verifier_(verifier), settings_(std::move(settings)) {}

  // The change, planned against the current state (verified as for a renewal: an expired
  // timestamp or snapshot does not stop a publication, which re-signs both).
  using Planner = std::function<Result<Plan>(const truststore::StoreState& current, Verified&)>;
  // Whether the latest state (verified) shows the change.
  using Confirm = std::function<Result<bool>(const StoreView& latest)>;

  // Publishes the plan: every root, the signers' versions the snapshot lists and the other
  // proposals are carried over; targets (when changed), snapshot and timestamp are signed.
  // Returns the state that confirmed it, which this trust dir then vouches for.
  Result<StoreView> publish(const Planner& planner, const Confirm& confirm) const;

  truststore::TrustStore& store() const { return store_; }
  keystore::KeyStore& keys() const { return keys_; }
  const Verifier& verifier() const { return verifier_; }
  const PublishSettings& settings() const { return settings_; }
  const registry::Reference& repository() const { return verifier_.repository(); }
  std::int64_t now() const { return verifier_.now(); }
  void notice(const std::string& message) const;

  // Whether this trust dir holds a key of `role` as `root` lists it, and that key (decrypted;
  // kAuth naming `key import` when it holds none).
  bool holds(const tuf::Root& root, const std::string& role) const;
  Result<crypto::PrivateKey> key(const tuf::Root& root, const std::string& role) const;

 private:
  Result<std::map<std::string, std::string>> build(const truststore::StoreState& current,
                                                   const Planner& planner) const;
  Status check_vouched(const tuf::TrustedSet& current) const;

  truststore::TrustStore& store_;
  keystore::KeyStore& keys_;
  const Verifier& verifier_;
  PublishSettings settings_;
};

}  // namespace trustctl::trust
