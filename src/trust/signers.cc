// Named signers: roles delegated by the top-level targets, each with its own keys and a k-of-n
// threshold, and their proposed next versions waiting in the trust data until enough of their
// keys have signed (docs/signers.md).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "signing.h"
#include "trustctl/trust/content_trust.h"
#include "withdrawals.h"

namespace trustctl::trust {
namespace {

using detail::kPendingPrefix;
using truststore::StoreState;

constexpr std::uint64_t kMaxRoleBytes = 5 * 1024 * 1024;

std::string pending_file(const std::string& signer) {
  return std::string(kPendingPrefix) + signer + ".json";
}

Status validate_signer_name(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kUsage, "invalid signer name '" + name + "': " + why);
  };
  if (name.empty() || name.size() > 64) return bad("1 to 64 characters");
  if (!std::isalnum(static_cast<unsigned char>(name.front())) ||
      std::isupper(static_cast<unsigned char>(name.front())))
    return bad("it must start with a lower-case letter or digit");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return bad("use lower-case letters, digits, '-' and '_'");
  }
  for (const char* reserved : {"root", "targets", "snapshot", "timestamp", "pending"})
    if (name == reserved) return bad("'" + name + "' is reserved");
  return {};
}

// The key IDs of `role` whose signatures over `md` verify.
std::vector<std::string> valid_signers(const tuf::Keys& keys, const tuf::DelegatedRole& role,
                                       const tuf::Metadata<tuf::Targets>& md) {
  std::vector<std::string> out;
  auto message = md.signed_bytes();
  if (!message) return out;
  for (const auto& id : role.keyids)
    if (tuf::count_valid_signatures(keys, {id}, md.signatures(), *message, md.dialect()) > 0)
      out.push_back(id);
  return out;
}

bool same_target(const tuf::TargetFile& a, const tuf::TargetFile& b) {
  return a.length == b.length && a.hashes == b.hashes;
}

// Whether a waiting version is, to the byte, the version this signer would make itself: the same
// targets (with their custom data), no delegations or fields it would not write, and only the
// expiry left to the first signer, within (now, now + lifetime + a day]. A co-signer never signs
// more than the change it asked for.
bool is_same_version(const tuf::Targets& waiting, tuf::Targets own, std::int64_t now,
                     std::int64_t lifetime) {
  if (waiting.expires <= now || waiting.expires > now + lifetime + 86400) return false;
  own.expires = waiting.expires;
  return waiting.to_json(tuf::Dialect::kStandard) == own.to_json(tuf::Dialect::kStandard);
}

// A signer's trusted current version (version 0 and no targets when it never published).
struct SignerState {
  tuf::Targets body;
  std::int64_t version = 0;
};

Result<SignerState> signer_state(tuf::Updater& updater, const std::string& signer) {
  SignerState st;
  auto md = updater.load_delegated(signer, "targets");
  if (!md) {
    if (md.error().code() == ErrorCode::kNotFound) return st;
    return md.error().wrap("the metadata of signer " + signer);
  }
  st.body = (*md)->signed_part();
  st.version = st.body.version;
  return st;
}

struct Proposal {
  tuf::Metadata<tuf::Targets> md;
  PendingVersion info;
};

PendingVersion describe_proposal(const tuf::Keys& keys, const tuf::DelegatedRole& role,
                                 const tuf::Metadata<tuf::Targets>& md,
                                 const SignerState& current) {
  PendingVersion p;
  p.signer = role.name;
  p.version = md.signed_part().version;
  p.threshold = role.threshold;
  const auto& next = md.signed_part().targets;
  const auto& now = current.body.targets;
  for (const auto& [name, t] : next) {
    auto it = now.find(name);
    if (it == now.end() || !same_target(t, it->second)) p.adds[name] = sha256_of(t);
  }
  for (const auto& [name, t] : now)
    if (!next.count(name)) p.removes.push_back(name);
  p.signed_by = valid_signers(keys, role, md);
  for (const auto& id : role.keyids)
    if (std::find(p.signed_by.begin(), p.signed_by.end(), id) == p.signed_by.end())
      p.waiting_for.push_back(id);
  return p;
}

// The signer's proposal in `state`, when there is one for the version after the current one
// (an older one is stale: the signer published since). A malformed proposal counts as none, and
// so does one the trusted snapshot records as withdrawn.
Result<std::optional<Proposal>> read_proposal(truststore::OciTrustStore& store,
                                              const StoreState& state,
                                              const tuf::Snapshot& snapshot, const tuf::Keys& keys,
                                              const tuf::DelegatedRole& role,
                                              const SignerState& current) {
  const std::string name = pending_file(role.name);
  if (!state.files.count(name)) return std::optional<Proposal>();
  TRY_ASSIGN(auto bytes, store.file(state, name, kMaxRoleBytes));
  auto md = tuf::Metadata<tuf::Targets>::from_bytes(bytes);
  if (!md || md->signed_part().version != current.version + 1) return std::optional<Proposal>();
  if (detail::is_withdrawn(snapshot, role.name, *md)) return std::optional<Proposal>();
  Proposal p{*md, describe_proposal(keys, role, *md, current)};
  return std::optional<Proposal>(std::move(p));
}

std::string describe_change(const PendingVersion& p) {
  std::string s;
  for (const auto& [tag, digest] : p.adds) s += (s.empty() ? "" : ", ") + tag + " -> " + digest;
  for (const auto& tag : p.removes) s += (s.empty() ? "" : ", ") + ("revoke " + tag);
  return s.empty() ? "no change" : s;
}

}  // namespace

std::vector<PendingVersion> ContentTrust::read_pending(const StoreState& state,
                                                       tuf::Updater& updater, TrustedView* view) {
  std::vector<PendingVersion> out;
  const auto* targets = updater.trusted_set()->targets();
  if (!targets || !targets->signed_part().delegations) return out;
  const auto& delegations = *targets->signed_part().delegations;
  for (const auto& role : delegations.roles) {
    if (!state.files.count(pending_file(role.name))) continue;
    auto current = signer_state(updater, role.name);
    if (!current) continue;  // already reported for the signer itself
    auto proposal = read_proposal(store_, state, updater.trusted_set()->snapshot()->signed_part(),
                                  delegations.keys, role, *current);
    if (!proposal) {
      if (view)
        view->warnings.push_back("the pending version of signer " + role.name +
                                 " cannot be read: " + proposal.error().message());
      continue;
    }
    if (*proposal) out.push_back((*proposal)->info);
  }
  return out;
}

Result<SignerInfo> ContentTrust::add_signer(const std::string& name,
                                            const std::vector<crypto::PublicKey>& keys,
                                            std::optional<std::int64_t> threshold) {
  TRY(validate_signer_name(name));
  if (keys.empty() && !threshold)
    return Error(ErrorCode::kUsage,
                 "give the signer's public key(s) (--key PUB.pem) or a new "
                 "--threshold");
  if (threshold && *threshold < 1) return Error(ErrorCode::kUsage, "a threshold is at least 1");
  std::set<std::string> wanted_ids;
  for (const auto& k : keys) wanted_ids.insert(k.key_id());
  std::int64_t final_threshold = 0;
  auto planner = [&](const StoreState&, tuf::Updater& updater) -> Result<Plan> {
    Plan plan;
    plan.targets = *updater.trusted_set()->targets();
    tuf::Targets& tg = plan.targets->mutate();
    const tuf::DelegatedRole* existing = tg.delegations ? tg.delegations->find(name) : nullptr;
    tuf::DelegatedRole role;
    if (existing) {
      role = *existing;
    } else {
      if (keys.empty())
        return Error(ErrorCode::kNotFound, "'" + name + "' is not a signer of " + ref_.name() +
                                               " yet: add it with --key PUB.pem");
      role.name = name;
      role.paths = std::vector<std::string>{"*"};  // every tag
    }
    if (threshold) role.threshold = *threshold;
    std::set<std::string> ids(role.keyids.begin(), role.keyids.end());
    ids.insert(wanted_ids.begin(), wanted_ids.end());
    if (role.threshold > static_cast<std::int64_t>(ids.size())) {
      return Error(ErrorCode::kUsage, "signer " + name + " would have " +
                                          std::to_string(ids.size()) + " key(s), fewer than its " +
                                          "threshold " + std::to_string(role.threshold));
    }
    final_threshold = role.threshold;
    tg.add_delegation(role, keys);
    return plan;
  };
  SignerInfo added;
  auto present = [&](const TrustedView& view) -> Result<bool> {
    for (const auto& s : view.signers) {
      if (s.name != name) continue;
      for (const auto& id : wanted_ids)
        if (std::find(s.keyids.begin(), s.keyids.end(), id) == s.keyids.end()) return false;
      added = s;
      return s.threshold == final_threshold;
    }
    return false;
  };
  TRY(publish_plan(planner, present));
  return added;
}

Status ContentTrust::remove_signer(const std::string& name,
                                   const std::vector<std::string>& keyids) {
  TRY(validate_signer_name(name));
  std::vector<std::string> removing;  // full key IDs
  auto planner = [&](const StoreState&, tuf::Updater& updater) -> Result<Plan> {
    Plan plan;
    plan.targets = *updater.trusted_set()->targets();
    tuf::Targets& tg = plan.targets->mutate();
    const tuf::DelegatedRole* existing = tg.delegations ? tg.delegations->find(name) : nullptr;
    if (!existing)
      return Error(ErrorCode::kNotFound, "'" + name + "' is not a signer of " + ref_.name());
    auto& roles = tg.delegations->roles;
    removing.clear();
    if (keyids.empty()) {
      roles.erase(std::remove_if(roles.begin(), roles.end(),
                                 [&](const tuf::DelegatedRole& r) { return r.name == name; }),
                  roles.end());
    } else {
      tuf::DelegatedRole role = *existing;
      for (const auto& given : keyids) {
        std::vector<std::string> matches;
        for (const auto& id : role.keyids)
          if (given.size() >= 4 && id.rfind(given, 0) == 0) matches.push_back(id);
        if (matches.size() != 1)
          return Error(ErrorCode::kUsage, "'" + given + "' names " +
                                              (matches.empty() ? "no key" : "several keys") +
                                              " of signer " + name);
        removing.push_back(matches.front());
        role.keyids.erase(std::remove(role.keyids.begin(), role.keyids.end(), matches.front()),
                          role.keyids.end());
      }
      if (role.keyids.empty())
        return Error(ErrorCode::kUsage, "that removes every key of signer " + name +
                                            ": remove the signer itself (without --key)");
      if (role.threshold > static_cast<std::int64_t>(role.keyids.size()))
        return Error(ErrorCode::kUsage,
                     "signer " + name + " would keep " + std::to_string(role.keyids.size()) +
                         " key(s) with threshold " + std::to_string(role.threshold) +
                         ": lower it first with trustctl signer add " + name + " " + ref_.name() +
                         " --threshold K");
      for (auto& r : roles)
        if (r.name == name) r = role;
    }
    // Keys no signer uses any more leave the delegations.
    std::set<std::string> used;
    for (const auto& r : roles) used.insert(r.keyids.begin(), r.keyids.end());
    for (auto it = tg.delegations->keys.begin(); it != tg.delegations->keys.end();)
      it = used.count(it->first) ? std::next(it) : tg.delegations->keys.erase(it);
    plan.pending[name] = std::nullopt;  // a proposal restarts under the new key set
    return plan;
  };
  auto present = [&](const TrustedView& view) -> Result<bool> {
    for (const auto& s : view.signers) {
      if (s.name != name) continue;
      if (keyids.empty()) return false;
      for (const auto& id : removing)
        if (std::find(s.keyids.begin(), s.keyids.end(), id) != s.keyids.end()) return false;
    }
    return true;
  };
  TRY(publish_plan(planner, present));
  return {};
}

Result<ContentTrust::SignerOutcome> ContentTrust::sign_as(const std::string& signer,
                                                          const std::vector<TagRequest>& requests,
                                                          bool revoke, bool replace) {
  TRY(validate_signer_name(signer));
  if (!keys_) return Error(ErrorCode::kInternal, "no key store");
  if (requests.empty()) return Error(ErrorCode::kUsage, "no tag given");
  std::vector<SignedTag> wanted;
  if (revoke) {
    for (const auto& r : requests) {
      SignedTag t;
      t.tag = r.tag;
      wanted.push_back(t);
    }
  } else {
    TRY_ASSIGN(wanted, resolve_tags(requests));
    for (auto& t : wanted) t.signers = {signer};
  }
  TRY_ASSIGN(auto head, store_.head());
  if (!head) return refresh().error();

  SignerOutcome outcome;
  std::map<std::string, crypto::PrivateKey> unlocked;  // across publish attempts
  std::vector<std::string> mine;
  auto planner = [&](const StoreState& state, tuf::Updater& updater) -> Result<Plan> {
    const tuf::TrustedSet* ts = updater.trusted_set();
    const auto& tg = ts->targets()->signed_part();
    const tuf::DelegatedRole* role = tg.delegations ? tg.delegations->find(signer) : nullptr;
    if (!role) {
      return Error(ErrorCode::kVerification, "'" + signer + "' is not a signer of " + ref_.name() +
                                                 " (trustctl signer list " + ref_.name() + ")");
    }
    TRY_ASSIGN(auto all, keys_->list());
    mine.clear();
    for (const auto& k : all)
      if (std::find(role->keyids.begin(), role->keyids.end(), k.id) != role->keyids.end())
        mine.push_back(k.id);
    if (mine.empty()) {
      return Error(ErrorCode::kAuth, "this trust dir holds none of the " +
                                         std::to_string(role->keyids.size()) +
                                         " key(s) of signer " + signer + " of " + ref_.name() +
                                         "; import one with: trustctl key import FILE");
    }
    TRY_ASSIGN(auto current, signer_state(updater, signer));
    auto expected = current.body.targets;
    for (const auto& t : wanted) {
      if (revoke) {
        if (!expected.erase(t.tag))
          return Error(ErrorCode::kNoTrustData,
                       ref_.name() + ":" + t.tag + " is not signed by signer " + signer);
        continue;
      }
      tuf::TargetFile f;
      f.length = t.length;
      f.hashes["sha256"] = t.digest.substr(7);
      f.custom = nlohmann::json{{"mediaType", t.media_type}};
      expected[t.tag] = f;
    }
    const tuf::Snapshot& snapshot = ts->snapshot()->signed_part();
    TRY_ASSIGN(auto pending,
               read_proposal(store_, state, snapshot, tg.delegations->keys, *role, current));
    tuf::Targets next = current.body;
    next.targets = std::move(expected);
    next.version = current.version + 1;
    next.expires = now() + options_.lifetimes.targets;
    tuf::Metadata<tuf::Targets> proposal;
    const tuf::Root& root = ts->root().signed_part();
    const bool online_keys = holds_role_key(root, "snapshot") && holds_role_key(root, "timestamp");
    std::optional<std::pair<std::int64_t, std::string>> withdrawing;
    if (pending &&
        is_same_version(pending->md.signed_part(), next, now(), options_.lifetimes.targets)) {
      proposal = pending->md;  // co-sign exactly what is waiting
    } else {
      if (pending && replace && pending->info.ready()) {
        // A fully signed version can be published by anyone who holds it: withdrawing it must
        // be recorded where a pusher cannot roll it back (the snapshot), by its publisher.
        if (!online_keys)
          return Error(ErrorCode::kAuth,
                       "version " + std::to_string(pending->info.version) + " of signer " + signer +
                           " (" + describe_change(pending->info) + ") already has " +
                           std::to_string(pending->info.signed_by.size()) + " of " +
                           std::to_string(pending->info.threshold) +
                           " signatures: anyone holding it can have it published, so replacing "
                           "it must be recorded with the snapshot and timestamp keys, which this "
                           "trust dir does not hold. Run this where they are (the publisher), "
                           "or revoke the change once it is published");
        withdrawing.emplace(pending->info.version, detail::proposal_digest(pending->md));
      }
      if (pending && !replace) {
        return Error(ErrorCode::kUsage,
                     "signer " + signer + " has a pending version " +
                         std::to_string(pending->info.version) + " (" +
                         describe_change(pending->info) + "; " +
                         std::to_string(pending->info.signed_by.size()) + " of " +
                         std::to_string(pending->info.threshold) +
                         " signatures): sign exactly that change to add a signature, or "
                         "pass --replace-pending to start over");
      }
      proposal = tuf::Metadata<tuf::Targets>(std::move(next));
    }
    const auto before = valid_signers(tg.delegations->keys, *role, proposal);
    for (const auto& id : mine) {
      if (std::find(before.begin(), before.end(), id) != before.end()) {
        options_.notice("key " + id.substr(0, 12) + " has already signed version " +
                        std::to_string(proposal.signed_part().version) + " of signer " + signer);
        continue;
      }
      auto it = unlocked.find(id);
      if (it == unlocked.end()) {
        TRY_ASSIGN(auto key, keys_->load(id));
        it = unlocked.emplace(id, std::move(key)).first;
      }
      TRY(proposal.sign(it->second));
    }
    TRY_ASSIGN(auto bytes, proposal.to_bytes());
    outcome.version = describe_proposal(tg.delegations->keys, *role, proposal, current);
    Plan plan;
    outcome.published = outcome.version.ready() && online_keys;
    plan.pending[signer] = outcome.published ? std::nullopt : std::optional<std::string>(bytes);
    if (outcome.published)
      plan.delegated[signer] = bytes;
    else
      plan.resign = false;
    if (withdrawing) {
      plan.withdraw[signer] = *withdrawing;
      plan.resign = true;  // the withdrawal goes into a new snapshot
    }
    return plan;
  };
  auto present = [&](const TrustedView& view) -> Result<bool> {
    if (outcome.published) {
      for (const auto& s : view.signers)
        if (s.name == signer) return s.version == outcome.version.version;
      return false;
    }
    for (const auto& p : view.pending) {
      if (p.signer != signer || p.version != outcome.version.version) continue;
      for (const auto& id : mine)
        if (std::find(p.signed_by.begin(), p.signed_by.end(), id) == p.signed_by.end())
          return false;
      return true;
    }
    return false;
  };
  TRY(publish_plan(planner, present));
  if (!revoke) outcome.tags = wanted;
  return outcome;
}

Result<TrustedView> ContentTrust::renew() {
  TRY_ASSIGN(auto head, store_.head());
  if (!head) return refresh().error();  // no trust data, or gone: the same errors as verify
  // Confirmed when the timestamp is valid again at the time of renewal and every ready proposal
  // is published.
  const std::int64_t renewed_at = now();
  std::map<std::string, std::int64_t> promoted;  // signer -> version
  TrustedView renewed;                           // the state that confirmed the renewal
  auto planner = [&](const StoreState& state, tuf::Updater& updater) -> Result<Plan> {
    Plan plan;
    promoted.clear();
    const auto& tg = updater.trusted_set()->targets()->signed_part();
    if (!tg.delegations) return plan;
    for (const auto& role : tg.delegations->roles) {
      auto current = signer_state(updater, role.name);
      if (!current) continue;
      auto proposal = read_proposal(store_, state, updater.trusted_set()->snapshot()->signed_part(),
                                    tg.delegations->keys, role, *current);
      if (!proposal || !*proposal || !(*proposal)->info.ready()) continue;
      TRY_ASSIGN(auto bytes, (*proposal)->md.to_bytes());
      plan.delegated[role.name] = bytes;
      plan.pending[role.name] = std::nullopt;
      promoted[role.name] = (*proposal)->info.version;
    }
    return plan;
  };
  auto present = [&](const TrustedView& latest) -> Result<bool> {
    for (const auto& [name, version] : promoted) {
      bool found = false;
      for (const auto& s : latest.signers)
        if (s.name == name && s.version == version) found = true;
      if (!found) return false;
    }
    for (const auto& r : latest.roles) {
      if (r.name != "timestamp" || r.expires <= renewed_at) continue;
      renewed = latest;
      return true;
    }
    return false;
  };
  TRY(publish_plan(planner, present));
  for (const auto& [name, version] : promoted)
    options_.notice("published version " + std::to_string(version) + " of signer " + name +
                    " (its threshold was met)");
  return renewed;
}

}  // namespace trustctl::trust
