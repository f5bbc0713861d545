// In-band key rotation (docs/operations.md): a new root version replaces a role's keys. Root
// rotations are signed by the old and the new root keys, so clients that trust the old root
// follow the chain and signatures by the replaced keys stop counting.
#include <algorithm>

#include "trustctl/trust/operations.h"

namespace trustctl::trust {
namespace {

// The new key of `role`: generated, or imported from `key_file`; `created` says whether the
// key store did not hold it before (then a failed rotation removes it again).
Result<keystore::KeyInfo> new_key(const Publisher& publisher, const std::string& role,
                                  const std::string& key_file, bool& created) {
  const std::string repo = publisher.repository().name();
  created = true;
  if (key_file.empty()) return publisher.keys().generate(publisher.settings().key_type, role, repo);
  keystore::ImportOptions import;
  import.role = role;
  import.gun = repo;
  TRUSTCTL_TRY_ASSIGN(auto imported, publisher.keys().import(key_file, import));
  if (imported.size() != 1)
    return Error(ErrorCode::kUsage, key_file + " holds " + std::to_string(imported.size()) +
                                        " keys; give a file with exactly one private key");
  created = !imported.front().already_present;
  return imported.front().key;
}

// The next root: `role` with only `key`, signed by the current root key (and, for a root
// rotation, by the new key too).
Result<tuf::Metadata<tuf::Root>> next_root(const Publisher& publisher, const tuf::Root& current,
                                           const std::string& role, const crypto::PrivateKey& key,
                                           std::vector<std::string>& old_ids) {
  auto it = current.roles.find(role);
  if (it == current.roles.end())
    return Error(ErrorCode::kVerification, "root lists no " + role + " role");
  old_ids = it->second.keyids;
  const std::string id = key.public_key().key_id();
  if (old_ids == std::vector<std::string>{id})
    return Error(ErrorCode::kUsage, "key " + id + " already is the only " + role + " key");
  TRUSTCTL_TRY_ASSIGN(auto root_key, publisher.key(current, "root"));
  tuf::Root next = current;
  for (const auto& old : old_ids) next.remove_key(role, old);
  next.add_key(role, key.public_key());
  next.roles[role].threshold = 1;
  next.version = current.version + 1;
  next.expires = publisher.now() + publisher.settings().lifetimes.root;
  tuf::Metadata<tuf::Root> md(std::move(next));
  // Signed by a threshold of the trusted root's root keys, and (for a root rotation) of the new
  // root's own: the chain a client follows from any root it trusts.
  TRUSTCTL_TRY(md.sign(root_key));
  if (role == "root") TRUSTCTL_TRY(md.sign(key));
  return md;
}

}  // namespace

Result<std::string> rotate(const Publisher& publisher, const std::string& role,
                           const std::string& key_file) {
  if (role != "root" && role != "targets" && role != "snapshot" && role != "timestamp")
    return Error(ErrorCode::kUsage,
                 "rotate root, targets, snapshot or timestamp (not '" + role +
                     "'); a signer's keys change with trustctl signer add/remove");
  TRUSTCTL_TRY(verify_store(publisher.verifier(), publisher.store()));  // rotate only what verifies
  bool created = true;
  TRUSTCTL_TRY_ASSIGN(auto info, new_key(publisher, role, key_file, created));
  auto forget_new_key = [&] {
    if (created) (void)publisher.keys().remove(info.id);
  };
  auto key = publisher.keys().load(info.id);
  if (!key) {
    forget_new_key();
    return key.error();
  }
  std::int64_t new_version = 0;
  std::vector<std::string> old_ids;
  auto planner = [&](const truststore::StoreState&, Verified& current) -> Result<Plan> {
    Plan plan;
    TRUSTCTL_TRY_ASSIGN(auto root, next_root(publisher, current.root(), role, *key, old_ids));
    new_version = root.signed_part().version;
    plan.root.emplace(std::move(root));
    if (role == "targets") plan.targets = *current.trusted().targets();  // re-signed
    return plan;
  };
  auto present = [&](const StoreView& latest) -> Result<bool> {
    const RoleInfo* root = latest.view().role(tuf::kRoot);
    const RoleInfo* rotated = latest.view().role(role);
    return root && rotated && root->version == new_version &&
           rotated->keyids == std::vector<std::string>{info.id};
  };
  if (auto published = publisher.publish(planner, present); !published) {
    forget_new_key();
    return published.error();
  }
  for (const auto& id : old_ids)
    if (id != info.id)
      publisher.notice("the old " + role + " key " + id.substr(0, 12) +
                       " no longer counts; delete it with: trustctl key rm " + id);
  if (role == "root")
    publisher.notice(
        "trust dirs that pinned the old root key follow the chain; pin the new one "
        "on new machines: trustctl trust pin " +
        publisher.repository().name() + " --fingerprint " + info.id);
  return info.id;
}

}  // namespace trustctl::trust
