#include "proposals.h"

#include <algorithm>
#include <cctype>

#include "withdrawals.h"

namespace trustctl::trust::detail {
namespace {

using truststore::StoreState;

constexpr std::uint64_t kMaxRoleBytes = 5 * 1024 * 1024;

bool same_target(const tuf::TargetFile& a, const tuf::TargetFile& b) {
  return a.length == b.length && a.hashes == b.hashes;
}

}  // namespace

std::optional<std::string> pending_signer(const std::string& name) {
  if (name.rfind(kPendingPrefix, 0) != 0 || name.size() < kPendingPrefix.size() + 5 ||
      name.substr(name.size() - 5) != ".json")
    return std::nullopt;
  return name.substr(kPendingPrefix.size(), name.size() - kPendingPrefix.size() - 5);
}

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

std::vector<std::string> valid_signers(const tuf::Keys& keys, const tuf::DelegatedRole& role,
                                       const tuf::Metadata<tuf::Targets>& md) {
  std::vector<std::string> out;
  auto message = md.signed_bytes();
  if (!message) return out;
  for (const auto& id : role.keyids)
    if (tuf::count_valid_signatures(keys, {id}, md.signatures(), *message) > 0) out.push_back(id);
  return out;
}

bool is_same_version(const tuf::Targets& waiting, tuf::Targets own, std::int64_t now,
                     std::int64_t lifetime) {
  if (waiting.expires <= now || waiting.expires > now + lifetime + 86400) return false;
  own.expires = waiting.expires;
  return waiting.to_json() == own.to_json();
}

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

Result<std::optional<Proposal>> read_proposal(truststore::TrustStore& store,
                                              const StoreState& state,
                                              const tuf::Snapshot& snapshot, const tuf::Keys& keys,
                                              const tuf::DelegatedRole& role,
                                              const SignerState& current) {
  const std::string name = pending_file(role.name);
  if (!state.files.count(name)) return std::optional<Proposal>();
  TRUSTCTL_TRY_ASSIGN(auto bytes, store.file(state, name, kMaxRoleBytes));
  auto md = tuf::Metadata<tuf::Targets>::from_bytes(bytes);
  if (!md || md->signed_part().version != current.version + 1) return std::optional<Proposal>();
  if (is_withdrawn(snapshot, role.name, *md)) return std::optional<Proposal>();
  Proposal p{*md, describe_proposal(keys, role, *md, current)};
  return std::optional<Proposal>(std::move(p));
}

std::string describe_change(const PendingVersion& p) {
  std::string s;
  for (const auto& [tag, digest] : p.adds) s += (s.empty() ? "" : ", ") + tag + " -> " + digest;
  for (const auto& tag : p.removes) s += (s.empty() ? "" : ", ") + ("revoke " + tag);
  return s.empty() ? "no change" : s;
}

std::vector<PendingVersion> read_pending(truststore::TrustStore& store, const StoreState& state,
                                         tuf::Updater& updater, TrustedView& view) {
  std::vector<PendingVersion> out;
  const auto* targets = updater.trusted_set()->targets();
  if (!targets || !targets->signed_part().delegations) return out;
  const auto& delegations = *targets->signed_part().delegations;
  for (const auto& role : delegations.roles) {
    if (!state.files.count(pending_file(role.name))) continue;
    auto current = signer_state(updater, role.name);
    if (!current) continue;  // already reported for the signer itself
    auto proposal = read_proposal(store, state, updater.trusted_set()->snapshot()->signed_part(),
                                  delegations.keys, role, *current);
    if (!proposal) {
      view.warnings.push_back("the pending version of signer " + role.name +
                              " cannot be read: " + proposal.error().message());
      continue;
    }
    if (*proposal) out.push_back((*proposal)->info);
  }
  return out;
}

}  // namespace trustctl::trust::detail
