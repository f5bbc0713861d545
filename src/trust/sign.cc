// sign: tags of the registry (their current or pinned digests) into the top-level targets.
#include "trustctl/trust/operations.h"

namespace trustctl::trust {

Result<std::vector<SignedTag>> sign(const Publisher& publisher, TagResolver& tags,
                                    const std::vector<TagRequest>& requests, bool init_if_missing) {
  const registry::Reference& ref = publisher.repository();
  if (requests.empty()) return Error(ErrorCode::kUsage, "no tag to sign");
  // The registry's tag is used only here, when signing; --digest pins what is expected.
  std::vector<SignedTag> wanted;
  for (const auto& r : requests) {
    TRUSTCTL_TRY_ASSIGN(auto t, tags.resolve(r));
    t.signers = {std::string(tuf::kTargets)};
    wanted.push_back(std::move(t));
  }
  TRUSTCTL_TRY_ASSIGN(auto head, publisher.store().head());
  if (!head) {
    TRUSTCTL_TRY_ASSIGN(bool seen, publisher.verifier().dir().has_trusted_root(ref));
    if (seen)
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref.name() +
                       " is gone, but this trust dir has seen it before; refusing to create a "
                       "new root over a possible attack (run trustctl repo init " +
                       ref.name() + " after checking)");
    if (!init_if_missing)
      return Error(ErrorCode::kNoTrustData,
                   ref.name() + " has no trust data; initialise it with 'trustctl repo init " +
                       ref.name() + "' or 'trustctl sign --init'");
    TRUSTCTL_TRY(init(publisher));
  }
  auto planner = [&](const truststore::StoreState&, Verified& current) -> Result<Plan> {
    Plan plan;
    plan.targets = *current.trusted().targets();
    for (const auto& t : wanted)
      plan.targets->mutate().targets[t.tag] = target_of(t.digest, t.length, t.media_type);
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    for (const auto& t : wanted) {
      const SignedTag* s = latest.view().tag(t.tag);
      if (s == nullptr || s->digest != t.digest) return false;
    }
    return true;
  };
  TRUSTCTL_TRY(publisher.publish(planner, present));
  return wanted;
}

}  // namespace trustctl::trust
