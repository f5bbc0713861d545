// sign --signer / revoke --signer: one signature of a signer's next version; published when its
// threshold is met where the online keys are, waiting in the trust data otherwise
// (docs/signers.md).
#include <algorithm>

#include "proposals.h"
#include "trustctl/trust/operations.h"
#include "withdrawals.h"

namespace trustctl::trust {
namespace {

using detail::Proposal;
using detail::SignerState;

// The signer's keys this trust dir holds (kAuth when none).
Result<std::vector<std::string>> own_keys(const Publisher& publisher,
                                          const tuf::DelegatedRole& role) {
  TRUSTCTL_TRY_ASSIGN(auto all, publisher.keys().list());
  std::vector<std::string> mine;
  for (const auto& k : all)
    if (std::find(role.keyids.begin(), role.keyids.end(), k.id) != role.keyids.end())
      mine.push_back(k.id);
  if (mine.empty())
    return Error(ErrorCode::kAuth, "this trust dir holds none of the " +
                                       std::to_string(role.keyids.size()) + " key(s) of signer " +
                                       role.name + " of " + publisher.repository().name() +
                                       "; import one with: trustctl key import FILE");
  return mine;
}

// The signer's targets after the change: `wanted` added, or removed when `revoke`.
Result<std::map<std::string, tuf::TargetFile>> changed_targets(const SignerState& current,
                                                               const std::vector<SignedTag>& wanted,
                                                               bool revoke,
                                                               const std::string& signer,
                                                               const std::string& repo) {
  auto targets = current.body.targets;
  for (const auto& t : wanted) {
    if (!revoke) {
      targets[t.tag] = target_of(t.digest, t.length, t.media_type);
    } else if (!targets.erase(t.tag)) {
      return Error(ErrorCode::kNoTrustData,
                   repo + ":" + t.tag + " is not signed by signer " + signer);
    }
  }
  return targets;
}

struct Choice {
  tuf::Metadata<tuf::Targets> proposal;
  std::optional<std::pair<std::int64_t, std::string>> withdrawing;
};

// The version to sign: the waiting one when it makes exactly this change (co-signing), else
// `next`. Replacing a waiting version needs `replace`; a ready one is withdrawn, which needs
// the online keys here.
Result<Choice> choose(const std::optional<Proposal>& pending, tuf::Targets next, bool replace,
                      bool online_keys, const std::string& signer, std::int64_t now,
                      std::int64_t lifetime) {
  if (pending && detail::is_same_version(pending->md.signed_part(), next, now, lifetime))
    return Choice{pending->md, std::nullopt};
  Choice choice{tuf::Metadata<tuf::Targets>(std::move(next)), std::nullopt};
  if (!pending) return choice;
  const PendingVersion& p = pending->info;
  const std::string waiting =
      "pending version " + std::to_string(p.version) + " (" + detail::describe_change(p) + "; " +
      std::to_string(p.signed_by.size()) + " of " + std::to_string(p.threshold) + " signatures)";
  if (!replace)
    return Error(ErrorCode::kUsage, "signer " + signer + " has a " + waiting +
                                        ": sign exactly that change to add a signature, or pass "
                                        "--replace-pending to start over");
  if (p.ready()) {
    // A fully signed version can be published by anyone who holds it: withdrawing it must be
    // recorded where a pusher cannot roll it back (the snapshot), by its publisher.
    if (!online_keys)
      return Error(ErrorCode::kAuth,
                   "the " + waiting + " of signer " + signer +
                       " has all its signatures: anyone holding it can have it published, so "
                       "replacing it must be recorded with the snapshot and timestamp keys, "
                       "which this trust dir does not hold. Run this where they are (the "
                       "publisher), or revoke the change once it is published");
    choice.withdrawing.emplace(p.version, detail::proposal_digest(pending->md));
  }
  return choice;
}

// The tags to sign at their resolved digests (for a revoke, only their names).
Result<std::vector<SignedTag>> wanted_tags(TagResolver& tags,
                                           const std::vector<TagRequest>& requests,
                                           const std::string& signer, bool revoke) {
  std::vector<SignedTag> wanted;
  for (const auto& r : requests) {
    SignedTag t;
    if (revoke) {
      t.tag = r.tag;
    } else {
      TRUSTCTL_TRY_ASSIGN(t, tags.resolve(r));
      t.signers = {signer};
    }
    wanted.push_back(std::move(t));
  }
  return wanted;
}

// Adds the signatures of this trust dir's keys `mine` that the proposal lacks; a key is
// decrypted once (`unlocked`) however often the publication is attempted.
Status add_own_signatures(const Publisher& publisher, const std::vector<std::string>& mine,
                          const std::vector<std::string>& already, const std::string& signer,
                          std::map<std::string, crypto::PrivateKey>& unlocked,
                          tuf::Metadata<tuf::Targets>& proposal) {
  for (const auto& id : mine) {
    if (std::find(already.begin(), already.end(), id) != already.end()) {
      publisher.notice("key " + id.substr(0, 12) + " has already signed version " +
                       std::to_string(proposal.signed_part().version) + " of signer " + signer);
      continue;
    }
    auto it = unlocked.find(id);
    if (it == unlocked.end()) {
      TRUSTCTL_TRY_ASSIGN(auto key, publisher.keys().load(id));
      it = unlocked.emplace(id, std::move(key)).first;
    }
    TRUSTCTL_TRY(proposal.sign(it->second));
  }
  return {};
}

// Whether `latest` shows the outcome: the version published, or waiting with all of `mine`.
bool shows(const StoreView& latest, const SignerOutcome& outcome, const std::string& signer,
           const std::vector<std::string>& mine) {
  if (outcome.published) {
    const SignerInfo* s = latest.view().signer(signer);
    return s != nullptr && s->version == outcome.version.version;
  }
  for (const auto& p : latest.view().pending) {
    if (p.signer != signer || p.version != outcome.version.version) continue;
    for (const auto& id : mine)
      if (std::find(p.signed_by.begin(), p.signed_by.end(), id) == p.signed_by.end()) return false;
    return true;
  }
  return false;
}

}  // namespace

Result<SignerOutcome> sign_as(const Publisher& publisher, TagResolver& tags,
                              const std::string& signer, const std::vector<TagRequest>& requests,
                              bool revoke, bool replace) {
  TRUSTCTL_TRY(detail::validate_signer_name(signer));
  if (requests.empty()) return Error(ErrorCode::kUsage, "no tag given");
  const std::string repo = publisher.repository().name();
  TRUSTCTL_TRY_ASSIGN(auto wanted, wanted_tags(tags, requests, signer, revoke));
  TRUSTCTL_TRY_ASSIGN(auto head, publisher.store().head());
  if (!head) return verify_store(publisher.verifier(), publisher.store()).error();

  SignerOutcome outcome;
  std::map<std::string, crypto::PrivateKey> unlocked;  // across publication attempts
  std::vector<std::string> mine;
  auto planner = [&](const truststore::StoreState& state, Verified& current) -> Result<Plan> {
    const tuf::TrustedSet& ts = current.trusted();
    const auto& tg = ts.targets()->signed_part();
    const tuf::DelegatedRole* role = tg.delegations ? tg.delegations->find(signer) : nullptr;
    if (!role)
      return Error(ErrorCode::kVerification, "'" + signer + "' is not a signer of " + repo +
                                                 " (trustctl signer list " + repo + ")");
    TRUSTCTL_TRY_ASSIGN(mine, own_keys(publisher, *role));
    TRUSTCTL_TRY_ASSIGN(auto signer_now, detail::signer_state(*current.updater, signer));
    TRUSTCTL_TRY_ASSIGN(
        auto pending, detail::read_proposal(publisher.store(), state, ts.snapshot()->signed_part(),
                                            tg.delegations->keys, *role, signer_now));
    tuf::Targets next = signer_now.body;
    TRUSTCTL_TRY_ASSIGN(next.targets, changed_targets(signer_now, wanted, revoke, signer, repo));
    const std::int64_t lifetime = publisher.settings().lifetimes.targets;
    next.version = signer_now.version + 1;
    next.expires = publisher.now() + lifetime;
    const tuf::Root& root = ts.root().signed_part();
    const bool online = publisher.holds(root, "snapshot") && publisher.holds(root, "timestamp");
    TRUSTCTL_TRY_ASSIGN(auto choice, choose(pending, std::move(next), replace, online, signer,
                                            publisher.now(), lifetime));
    const auto before = detail::valid_signers(tg.delegations->keys, *role, choice.proposal);
    TRUSTCTL_TRY(add_own_signatures(publisher, mine, before, signer, unlocked, choice.proposal));
    TRUSTCTL_TRY_ASSIGN(auto bytes, choice.proposal.to_bytes());
    outcome.version =
        detail::describe_proposal(tg.delegations->keys, *role, choice.proposal, signer_now);
    outcome.published = outcome.version.ready() && online;
    Plan plan;
    plan.pending[signer] = outcome.published ? std::nullopt : std::optional<std::string>(bytes);
    if (outcome.published) plan.delegated[signer] = bytes;
    // Only proposals change, unless the version is published or a withdrawal is recorded.
    plan.resign = outcome.published || choice.withdrawing.has_value();
    if (choice.withdrawing) plan.withdraw[signer] = *choice.withdrawing;
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    return shows(latest, outcome, signer, mine);
  };
  TRUSTCTL_TRY(publisher.publish(planner, present));
  if (!revoke) outcome.tags = wanted;
  return outcome;
}

}  // namespace trustctl::trust
