// repo refresh: the freshness duty (new snapshot and timestamp), and ready signer versions
// published on the way.
#include "proposals.h"
#include "trustctl/trust/operations.h"

namespace trustctl::trust {

Result<TrustedView> renew(const Publisher& publisher) {
  TRUSTCTL_TRY_ASSIGN(auto head, publisher.store().head());
  if (!head)  // no trust data, or gone: the same errors as verify
    return verify_store(publisher.verifier(), publisher.store()).error();
  // Confirmed when the timestamp is valid again at the time of renewal and every ready proposal
  // is published.
  const std::int64_t renewed_at = publisher.now();
  std::map<std::string, std::int64_t> promoted;  // signer -> version
  auto planner = [&](const truststore::StoreState& state, Verified& current) -> Result<Plan> {
    Plan plan;
    promoted.clear();
    const auto& tg = current.trusted().targets()->signed_part();
    if (!tg.delegations) return plan;
    const tuf::Snapshot& snapshot = current.trusted().snapshot()->signed_part();
    for (const auto& role : tg.delegations->roles) {
      auto signer = detail::signer_state(*current.updater, role.name);
      if (!signer) continue;
      auto proposal = detail::read_proposal(publisher.store(), state, snapshot,
                                            tg.delegations->keys, role, *signer);
      if (!proposal || !*proposal || !(*proposal)->info.ready()) continue;
      TRUSTCTL_TRY_ASSIGN(auto bytes, (*proposal)->md.to_bytes());
      plan.delegated[role.name] = bytes;
      plan.pending[role.name] = std::nullopt;
      promoted[role.name] = (*proposal)->info.version;
    }
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    for (const auto& [name, version] : promoted) {
      const SignerInfo* s = latest.view().signer(name);
      if (s == nullptr || s->version != version) return false;
    }
    const RoleInfo* timestamp = latest.view().role(tuf::kTimestamp);
    return timestamp != nullptr && timestamp->expires > renewed_at;
  };
  TRUSTCTL_TRY_ASSIGN(auto renewed, publisher.publish(planner, present));
  for (const auto& [name, version] : promoted)
    publisher.notice("published version " + std::to_string(version) + " of signer " + name +
                     " (its threshold was met)");
  return renewed.verified.view;
}

}  // namespace trustctl::trust
