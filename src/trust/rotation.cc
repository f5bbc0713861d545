// In-band key rotation (docs/operations.md): a new root version replaces a role's keys. Root
// rotations are signed by the old and the new root keys, so clients that trust the old root
// follow the chain and signatures by the replaced keys stop counting.
#include <algorithm>

#include "trustctl/trust/content_trust.h"

namespace trustctl::trust {

Result<std::string> ContentTrust::rotate(const std::string& role, const std::string& key_file) {
  if (role != "root" && role != "targets" && role != "snapshot" && role != "timestamp")
    return Error(ErrorCode::kUsage,
                 "rotate root, targets, snapshot or timestamp (not '" + role +
                     "'); a signer's keys change with trustctl signer add/remove");
  if (!keys_) return Error(ErrorCode::kInternal, "no key store");
  TRY(refresh());  // rotate only what verifies

  keystore::KeyInfo info;
  bool created = true;
  if (key_file.empty()) {
    TRY_ASSIGN(info, keys_->generate(options_.key_type, role, ref_.name()));
  } else {
    keystore::ImportOptions import;
    import.role = role;
    import.gun = ref_.name();
    TRY_ASSIGN(auto imported, keys_->import(key_file, import));
    if (imported.size() != 1)
      return Error(ErrorCode::kUsage, key_file + " holds " + std::to_string(imported.size()) +
                                          " keys; give a file with exactly one private key");
    info = imported.front().key;
    created = !imported.front().already_present;
  }
  auto forget_new_key = [&] {
    if (created) (void)keys_->remove(info.id);
  };
  auto new_key = keys_->load(info.id);
  if (!new_key) {
    forget_new_key();
    return new_key.error();
  }

  std::int64_t new_version = 0;
  std::vector<std::string> old_ids;
  auto planner = [&](const truststore::StoreState&, tuf::Updater& updater) -> Result<Plan> {
    const auto& current = updater.trusted_set()->root().signed_part();
    auto it = current.roles.find(role);
    if (it == current.roles.end())
      return Error(ErrorCode::kVerification, "root lists no " + role + " role");
    old_ids = it->second.keyids;
    if (old_ids == std::vector<std::string>{info.id})
      return Error(ErrorCode::kUsage, "key " + info.id + " already is the only " + role + " key");
    TRY_ASSIGN(auto root_key, role_key(current, "root"));
    tuf::Root next = current;
    for (const auto& id : old_ids) next.remove_key(role, id);
    next.add_key(role, new_key->public_key());
    next.roles[role].threshold = 1;
    next.version = current.version + 1;
    next.expires = now() + options_.lifetimes.root;
    new_version = next.version;
    Plan plan;
    plan.root.emplace(std::move(next));
    // Signed by a threshold of the trusted root's root keys, and (for a root rotation) of the
    // new root's own: the chain a client follows from any root it trusts.
    TRY(plan.root->sign(root_key));
    if (role == "root") TRY(plan.root->sign(*new_key));
    if (role == "targets") plan.targets = *updater.trusted_set()->targets();  // re-signed
    return plan;
  };
  auto present = [&](const TrustedView& view) -> Result<bool> {
    for (const auto& r : view.roles)
      if (r.name == role && !view.roles.empty() && view.roles.front().version == new_version)
        return r.keyids == std::vector<std::string>{info.id};
    return false;
  };
  auto published = publish_plan(planner, present);
  if (!published) {
    forget_new_key();
    return published.error();
  }
  for (const auto& id : old_ids)
    if (id != info.id)
      options_.notice("the old " + role + " key " + id.substr(0, 12) +
                      " no longer counts; delete it with: trustctl key rm " + id);
  if (role == "root")
    options_.notice(
        "trust dirs that pinned the old root key follow the chain; pin the new one "
        "on new machines: trustctl trust pin " +
        ref_.name() + " --fingerprint " + info.id);
  return info.id;
}

}  // namespace trustctl::trust
