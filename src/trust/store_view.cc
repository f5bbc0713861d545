#include "trustctl/trust/store_view.h"

#include "proposals.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::trust {

std::string renew_hint(const registry::Reference& repository) {
  return "trustctl repo refresh " + repository.name();
}

Result<StoreView> verify_state(const Verifier& verifier, truststore::TrustStore& store,
                               truststore::StoreState state, ExpiryPolicy policy) {
  const std::string name = verifier.repository().name();
  auto source = std::make_shared<StateSource>(store, state);
  TRUSTCTL_TRY_ASSIGN(auto verified,
                      verifier.verify(source, name, renew_hint(verifier.repository()), policy));
  verified.view.pending = detail::read_pending(store, state, *verified.updater, verified.view);
  return StoreView{std::move(state), std::move(verified)};
}

Result<StoreView> verify_store(const Verifier& verifier, truststore::TrustStore& store,
                               ExpiryPolicy policy) {
  const registry::Reference& ref = verifier.repository();
  TRUSTCTL_TRY_ASSIGN(auto head, store.head());
  TRUSTCTL_TRY_ASSIGN(const bool seen, verifier.dir().has_trusted_root(ref));
  std::optional<truststore::StoreState> state;
  if (head) {
    TRUSTCTL_TRY_ASSIGN(state, store.read(*head));
  }
  if (!state) {
    if (seen)
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref.name() +
                       " is gone, but this trust dir has seen it before: treating that as an "
                       "attack (someone deleted or replaced the " +
                       std::string(truststore::kReservedTag) + " tag)");
    return Error(ErrorCode::kNoTrustData,
                 ref.name() + " has no trust data (nothing was ever signed there)");
  }
  return verify_state(verifier, store, std::move(*state), policy);
}

}  // namespace trustctl::trust
