#include "support/tuf_builder/repository_builder.h"

#include <algorithm>

#include "trustctl/core/fs.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::tuf {

RepositoryBuilder::RepositoryBuilder(RepositoryOptions options) : options_(options) {
  Root r;
  r.expires = options_.now + options_.root_lifetime;
  r.consistent_snapshot = options_.consistent_snapshot;
  for (const char* role : {"root", "timestamp", "snapshot", "targets"}) r.roles[role] = Role{};
  root_ = Metadata<Root>(std::move(r));
  Timestamp ts;
  ts.expires = options_.now + options_.timestamp_lifetime;
  timestamp_ = Metadata<Timestamp>(std::move(ts));
  Snapshot sn;
  sn.expires = options_.now + options_.snapshot_lifetime;
  snapshot_ = Metadata<Snapshot>(std::move(sn));
  targets("targets");
}

Metadata<Targets>& RepositoryBuilder::targets(const std::string& role) {
  auto it = targets_.find(role);
  if (it == targets_.end()) {
    Targets t;
    t.expires = options_.now + options_.targets_lifetime;
    it = targets_.emplace(role, Metadata<Targets>(std::move(t))).first;
    dirty_.insert(role);
  }
  return it->second;
}

void RepositoryBuilder::add_key(const std::string& role, SharedKey key) {
  root_.mutate().add_key(role, key->public_key());
  add_signer(role, std::move(key));
}

void RepositoryBuilder::remove_key(const std::string& role, const std::string& keyid) {
  root_.mutate().remove_key(role, keyid);
  auto& list = signers_[role];
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const SharedKey& k) { return k->public_key().key_id() == keyid; }),
             list.end());
}

void RepositoryBuilder::add_signer(const std::string& role, SharedKey key) {
  signers_[role].push_back(std::move(key));
}

void RepositoryBuilder::clear_signers(const std::string& role) { signers_[role].clear(); }

void RepositoryBuilder::add_delegation(const std::string& parent, DelegatedRole role,
                                       std::vector<SharedKey> keys) {
  std::vector<crypto::PublicKey> pubs;
  for (const auto& k : keys) pubs.push_back(k->public_key());
  const std::string name = role.name;
  targets(parent).mutate().add_delegation(std::move(role), pubs);
  dirty_.insert(parent);
  signers_[name] = std::move(keys);
  targets(name);
}

TargetFile RepositoryBuilder::add_target(const std::string& role, const std::string& name,
                                         std::string_view bytes,
                                         std::optional<nlohmann::json> custom) {
  TargetFile tf = TargetFile::of(bytes, std::move(custom));
  targets(role).mutate().targets[name] = tf;
  dirty_.insert(role);
  target_files_[name] = std::string(bytes);
  const auto slash = name.rfind('/');
  const std::string hashed =
      slash == std::string::npos
          ? tf.hashes["sha256"] + "." + name
          : name.substr(0, slash + 1) + tf.hashes["sha256"] + "." + name.substr(slash + 1);
  target_files_[hashed] = std::string(bytes);
  return tf;
}

template <typename T>
void RepositoryBuilder::bump(Metadata<T>& md, const std::string& role) {
  auto it = published_versions_.find(role);
  if (it != published_versions_.end() && md.signed_part().version <= it->second)
    md.mutate().version = it->second + 1;
}

template <typename T>
Status RepositoryBuilder::sign_role(Metadata<T>& md, const std::string& role) {
  md.mutable_signatures().clear();
  for (const auto& k : signers_[role]) TRUSTCTL_TRY(md.sign(*k));
  return {};
}

Result<std::string> RepositoryBuilder::sign_only(const std::string& role) {
  if (role == "root") {
    TRUSTCTL_TRY(sign_role(root_, role));
    return root_.to_bytes();
  }
  if (role == "timestamp") {
    TRUSTCTL_TRY(sign_role(timestamp_, role));
    return timestamp_.to_bytes();
  }
  if (role == "snapshot") {
    TRUSTCTL_TRY(sign_role(snapshot_, role));
    return snapshot_.to_bytes();
  }
  auto& md = targets(role);
  TRUSTCTL_TRY(sign_role(md, role));
  return md.to_bytes();
}

std::string RepositoryBuilder::published(const std::string& role) const {
  auto it = published_bytes_.find(role);
  return it == published_bytes_.end() ? std::string() : it->second;
}

Status RepositoryBuilder::publish_root() {
  bump(root_, "root");
  root_.mutable_signatures().clear();
  for (const auto& k : previous_root_signers_) TRUSTCTL_TRY(root_.sign(*k));
  for (const auto& k : signers_["root"]) TRUSTCTL_TRY(root_.sign(*k));
  TRUSTCTL_TRY_ASSIGN(auto bytes, root_.to_bytes());
  const std::int64_t version = root_.signed_part().version;
  published_versions_["root"] = version;
  published_bytes_["root"] = bytes;
  files_[std::to_string(version) + ".root.json"] = bytes;
  files_["root.json"] = bytes;
  previous_root_signers_ = signers_["root"];
  return {};
}

Status RepositoryBuilder::publish_targets(const std::string& role) {
  auto& md = targets(role);
  bump(md, role);
  TRUSTCTL_TRY(sign_role(md, role));
  TRUSTCTL_TRY_ASSIGN(auto bytes, md.to_bytes());
  const std::int64_t version = md.signed_part().version;
  published_versions_[role] = version;
  published_bytes_[role] = bytes;
  const std::string file = role_file_name(role);
  files_[file] = bytes;
  files_[std::to_string(version) + "." + file] = bytes;
  dirty_.erase(role);
  return {};
}

Status RepositoryBuilder::publish_snapshot() {
  bump(snapshot_, "snapshot");
  auto& s = snapshot_.mutate();
  for (const auto& [role, bytes] : published_bytes_) {
    if (role == "root" || role == "timestamp" || role == "snapshot") continue;
    const std::int64_t version = published_versions_[role];
    s.meta[role + ".json"] =
        options_.meta_hashes ? MetaFile::of(version, bytes) : MetaFile::of(version);
  }
  TRUSTCTL_TRY(sign_role(snapshot_, "snapshot"));
  TRUSTCTL_TRY_ASSIGN(auto bytes, snapshot_.to_bytes());
  published_versions_["snapshot"] = s.version;
  published_bytes_["snapshot"] = bytes;
  files_["snapshot.json"] = bytes;
  files_[std::to_string(s.version) + ".snapshot.json"] = bytes;
  return {};
}

Status RepositoryBuilder::publish_timestamp() {
  bump(timestamp_, "timestamp");
  auto& t = timestamp_.mutate();
  const std::string& snap = published_bytes_["snapshot"];
  t.snapshot_meta = options_.meta_hashes ? MetaFile::of(published_versions_["snapshot"], snap)
                                         : MetaFile::of(published_versions_["snapshot"]);
  TRUSTCTL_TRY(sign_role(timestamp_, "timestamp"));
  TRUSTCTL_TRY_ASSIGN(auto bytes, timestamp_.to_bytes());
  published_versions_["timestamp"] = t.version;
  published_bytes_["timestamp"] = bytes;
  files_["timestamp.json"] = bytes;
  return {};
}

Status RepositoryBuilder::publish() {
  if (!published_versions_.count("root")) TRUSTCTL_TRY(publish_root());
  // Children before parents does not matter: snapshot is written after all of them.
  std::vector<std::string> roles;
  for (const auto& [role, md] : targets_)
    if (dirty_.count(role) || !published_versions_.count(role)) roles.push_back(role);
  for (const auto& role : roles) TRUSTCTL_TRY(publish_targets(role));
  TRUSTCTL_TRY(publish_snapshot());
  return publish_timestamp();
}

Status RepositoryBuilder::export_to(const std::string& metadata_dir,
                                    const std::string& targets_dir) const {
  TRUSTCTL_TRY(fs::make_dirs(metadata_dir));
  TRUSTCTL_TRY(fs::make_dirs(targets_dir));
  for (const auto& [name, bytes] : files_)
    TRUSTCTL_TRY(fs::write_file_atomic(metadata_dir + "/" + name, bytes, 0644));
  for (const auto& [name, bytes] : target_files_) {
    const auto slash = name.rfind('/');
    if (slash != std::string::npos)
      TRUSTCTL_TRY(fs::make_dirs(targets_dir + "/" + name.substr(0, slash)));
    TRUSTCTL_TRY(fs::write_file_atomic(targets_dir + "/" + name, bytes, 0644));
  }
  return {};
}

}  // namespace trustctl::tuf
