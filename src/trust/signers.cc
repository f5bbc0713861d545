// signer add / signer remove: named signers are roles delegated by the top-level targets, each
// with its own keys and a k-of-n threshold (docs/signers.md).
#include <algorithm>
#include <set>

#include "proposals.h"
#include "trustctl/trust/operations.h"

namespace trustctl::trust {
namespace {

// The delegation of `name` after adding `keys` and setting `threshold`.
Result<tuf::DelegatedRole> with_keys(const tuf::Targets& tg, const std::string& name,
                                     const std::string& repo,
                                     const std::set<std::string>& wanted_ids,
                                     std::optional<std::int64_t> threshold) {
  const tuf::DelegatedRole* existing = tg.delegations ? tg.delegations->find(name) : nullptr;
  tuf::DelegatedRole role;
  if (existing) {
    role = *existing;
  } else {
    if (wanted_ids.empty())
      return Error(ErrorCode::kNotFound,
                   "'" + name + "' is not a signer of " + repo + " yet: add it with --key PUB.pem");
    role.name = name;
    role.paths = std::vector<std::string>{"*"};  // every tag
  }
  if (threshold) role.threshold = *threshold;
  std::set<std::string> ids(role.keyids.begin(), role.keyids.end());
  ids.insert(wanted_ids.begin(), wanted_ids.end());
  if (role.threshold > static_cast<std::int64_t>(ids.size()))
    return Error(ErrorCode::kUsage, "signer " + name + " would have " + std::to_string(ids.size()) +
                                        " key(s), fewer than its threshold " +
                                        std::to_string(role.threshold));
  return role;
}

// The delegation of `name` without `keyids` (full IDs or prefixes of at least 4 characters);
// `removed` receives the full IDs.
Result<tuf::DelegatedRole> without_keys(tuf::DelegatedRole role, const std::string& repo,
                                        const std::vector<std::string>& keyids,
                                        std::vector<std::string>& removed) {
  const std::string& name = role.name;
  for (const auto& given : keyids) {
    std::vector<std::string> matches;
    for (const auto& id : role.keyids)
      if (given.size() >= 4 && id.rfind(given, 0) == 0) matches.push_back(id);
    if (matches.size() != 1)
      return Error(ErrorCode::kUsage, "'" + given + "' names " +
                                          (matches.empty() ? "no key" : "several keys") +
                                          " of signer " + name);
    removed.push_back(matches.front());
    role.keyids.erase(std::remove(role.keyids.begin(), role.keyids.end(), matches.front()),
                      role.keyids.end());
  }
  if (role.keyids.empty())
    return Error(ErrorCode::kUsage, "that removes every key of signer " + name +
                                        ": remove the signer itself (without --key)");
  if (role.threshold > static_cast<std::int64_t>(role.keyids.size()))
    return Error(ErrorCode::kUsage, "signer " + name + " would keep " +
                                        std::to_string(role.keyids.size()) +
                                        " key(s) with threshold " + std::to_string(role.threshold) +
                                        ": lower it first with trustctl signer add " + name + " " +
                                        repo + " --threshold K");
  return role;
}

// Keys no signer uses any more leave the delegations.
void drop_unused_keys(tuf::Delegations& delegations) {
  std::set<std::string> used;
  for (const auto& r : delegations.roles) used.insert(r.keyids.begin(), r.keyids.end());
  for (auto it = delegations.keys.begin(); it != delegations.keys.end();)
    it = used.count(it->first) ? std::next(it) : delegations.keys.erase(it);
}

}  // namespace

Result<SignerInfo> add_signer(const Publisher& publisher, const std::string& name,
                              const std::vector<crypto::PublicKey>& keys,
                              std::optional<std::int64_t> threshold) {
  TRUSTCTL_TRY(detail::validate_signer_name(name));
  if (keys.empty() && !threshold)
    return Error(ErrorCode::kUsage,
                 "give the signer's public key(s) (--key PUB.pem) or a new --threshold");
  if (threshold && *threshold < 1) return Error(ErrorCode::kUsage, "a threshold is at least 1");
  std::set<std::string> wanted_ids;
  for (const auto& k : keys) wanted_ids.insert(k.key_id());
  std::int64_t final_threshold = 0;
  auto planner = [&](const truststore::StoreState&, Verified& current) -> Result<Plan> {
    Plan plan;
    plan.targets = *current.trusted().targets();
    tuf::Targets& tg = plan.targets->mutate();
    TRUSTCTL_TRY_ASSIGN(auto role,
                        with_keys(tg, name, publisher.repository().name(), wanted_ids, threshold));
    final_threshold = role.threshold;
    tg.add_delegation(role, keys);
    return plan;
  };
  SignerInfo added;
  auto present = [&](const StoreView& latest) -> Result<bool> {
    const SignerInfo* s = latest.view().signer(name);
    if (s == nullptr) return false;
    for (const auto& id : wanted_ids)
      if (std::find(s->keyids.begin(), s->keyids.end(), id) == s->keyids.end()) return false;
    added = *s;
    return s->threshold == final_threshold;
  };
  TRUSTCTL_TRY(publisher.publish(planner, present));
  return added;
}

Status remove_signer(const Publisher& publisher, const std::string& name,
                     const std::vector<std::string>& keyids) {
  TRUSTCTL_TRY(detail::validate_signer_name(name));
  const std::string repo = publisher.repository().name();
  std::vector<std::string> removing;  // full key IDs
  auto planner = [&](const truststore::StoreState&, Verified& current) -> Result<Plan> {
    Plan plan;
    plan.targets = *current.trusted().targets();
    tuf::Targets& tg = plan.targets->mutate();
    const tuf::DelegatedRole* existing = tg.delegations ? tg.delegations->find(name) : nullptr;
    if (!existing) return Error(ErrorCode::kNotFound, "'" + name + "' is not a signer of " + repo);
    auto& roles = tg.delegations->roles;
    removing.clear();
    if (keyids.empty()) {
      roles.erase(std::remove_if(roles.begin(), roles.end(),
                                 [&](const tuf::DelegatedRole& r) { return r.name == name; }),
                  roles.end());
    } else {
      TRUSTCTL_TRY_ASSIGN(auto role, without_keys(*existing, repo, keyids, removing));
      for (auto& r : roles)
        if (r.name == name) r = role;
    }
    drop_unused_keys(*tg.delegations);
    plan.pending[name] = std::nullopt;  // a proposal restarts under the new key set
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    const SignerInfo* s = latest.view().signer(name);
    if (s == nullptr) return true;
    if (keyids.empty()) return false;
    for (const auto& id : removing)
      if (std::find(s->keyids.begin(), s->keyids.end(), id) != s->keyids.end()) return false;
    return true;
  };
  TRUSTCTL_TRY(publisher.publish(planner, present));
  return {};
}

}  // namespace trustctl::trust
