// A repository's trust data as its store holds it, verified: the Verifier over the files of one
// store state, and the signers' versions waiting in that state (docs/signers.md).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "trustctl/core/result.h"
#include "trustctl/trust/verifier.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::trust {

// Serves the files of one store state to the TUF updater.
class StateSource final : public tuf::MetadataSource {
 public:
  StateSource(truststore::TrustStore& store, truststore::StoreState state)
      : store_(store), state_(std::move(state)) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    return store_.file(state_, name, max_length);
  }

 private:
  truststore::TrustStore& store_;
  truststore::StoreState state_;  // a copy: the updater may fetch delegated roles later
};

struct StoreView {
  truststore::StoreState state;
  Verified verified;
  const TrustedView& view() const { return verified.view; }
};

// The repository's current trust data in `store`, verified, with the signers' waiting versions
// in view.pending. kNoTrustData when the store holds none; kFreshness when this trust dir has
// seen trust data of the repository before and it is gone (an attack, not "unsigned").
Result<StoreView> verify_store(const Verifier& verifier, truststore::TrustStore& store,
                               ExpiryPolicy policy = ExpiryPolicy::kEnforce);
// The same for a known state (a publication confirming what it wrote).
Result<StoreView> verify_state(const Verifier& verifier, truststore::TrustStore& store,
                               truststore::StoreState state,
                               ExpiryPolicy policy = ExpiryPolicy::kEnforce);

// The command that renews the repository's expired trust data.
std::string renew_hint(const registry::Reference& repository);

}  // namespace trustctl::trust
