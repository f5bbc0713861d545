// revoke: tags the repository key signed, out of the top-level targets.
#include <algorithm>

#include "trustctl/trust/operations.h"

namespace trustctl::trust {
namespace {

bool by_repository_key(const SignedTag& s) {
  return std::find(s.signers.begin(), s.signers.end(), tuf::kTargets) != s.signers.end();
}

// The tags to remove: every tag the repository key signed (`all`), or the named ones, each of
// which it must sign (a signer's tag is revoked with --signer).
Result<std::vector<std::string>> choose(const TrustedView& view, const std::string& repo,
                                        const std::vector<std::string>& tags, bool all) {
  std::vector<std::string> removing;
  if (all) {
    for (const auto& t : view.tags)
      if (by_repository_key(t)) removing.push_back(t.tag);
    return removing;
  }
  for (const auto& tag : tags) {
    const SignedTag* t = view.tag(tag);
    if (t == nullptr) return Error(ErrorCode::kNoTrustData, repo + ":" + tag + " is not signed");
    if (!by_repository_key(*t))
      return Error(ErrorCode::kUsage, repo + ":" + tag + " is signed by signer " +
                                          t->signers.front() +
                                          ", not by the repository key: revoke it with "
                                          "trustctl revoke --signer " +
                                          t->signers.front() + " " + repo + ":" + tag);
    removing.push_back(tag);
  }
  return removing;
}

}  // namespace

Result<Revocation> revoke(const Publisher& publisher, const std::vector<std::string>& tags,
                          bool all) {
  const std::string repo = publisher.repository().name();
  TRUSTCTL_TRY_ASSIGN(auto current, verify_store(publisher.verifier(), publisher.store()));
  Revocation result;
  TRUSTCTL_TRY_ASSIGN(result.revoked, choose(current.view(), repo, tags, all));
  if (result.revoked.empty()) return result;
  auto planner = [&](const truststore::StoreState&, Verified& state) -> Result<Plan> {
    Plan plan;
    plan.targets = *state.trusted().targets();
    for (const auto& tag : result.revoked) plan.targets->mutate().targets.erase(tag);
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    // A revocation is never dropped by a merge: it is confirmed only when no revoked tag is
    // signed by the repository key in the latest trusted state.
    for (const auto& tag : result.revoked)
      if (const SignedTag* s = latest.view().tag(tag); s && by_repository_key(*s)) return false;
    return true;
  };
  TRUSTCTL_TRY_ASSIGN(auto confirmed, publisher.publish(planner, present));
  // A signer may still sign a revoked tag (then that binding is the trusted one now).
  for (const auto& tag : result.revoked) {
    const SignedTag* s = confirmed.view().tag(tag);
    if (s == nullptr || s->signers.empty()) continue;
    result.still_signed.push_back(*s);
    publisher.notice(publisher.repository().name() + ":" + tag + " is still signed by signer " +
                     s->signers.front() + " (" + s->digest + "); revoke it there with --signer " +
                     s->signers.front());
  }
  return result;
}

}  // namespace trustctl::trust
