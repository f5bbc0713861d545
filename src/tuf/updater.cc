#include "trustctl/tuf/updater.h"

#include <unistd.h>

#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::tuf {

std::string role_file_name(const std::string& role) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : role) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out + ".json";
}

Result<std::string> Updater::read_local(const std::string& role) const {
  return fs::read_file(config_.metadata_dir + "/" + role_file_name(role));
}

Status Updater::persist(const std::string& role, const std::string& bytes) const {
  TRUSTCTL_TRY(fs::make_dirs(config_.metadata_dir, 0700));
  auto s = fs::write_file_atomic(config_.metadata_dir + "/" + role_file_name(role), bytes, 0600);
  if (!s) return s.error().wrap("saving trusted " + role + " metadata");
  return {};
}

void Updater::remove_local(const std::string& role) const {
  const std::string path = config_.metadata_dir + "/" + role_file_name(role);
  ::unlink(path.c_str());
}

namespace {

// A fetch of a file that must exist (`why`): its absence is tampering, not "not found".
Error fetch_error(const Error& e, const std::string& name, const std::string& why) {
  if (e.code() == ErrorCode::kNotFound)
    return Error(ErrorCode::kVerification, "the repository has no " + name + ", although " + why +
                                               " (removed or tampered with: " + e.message() + ")");
  return e.wrap("fetching " + name);
}

}  // namespace

bool Updater::consistent_snapshot() const {
  return trusted_ && trusted_->root().signed_part().consistent();
}

Status Updater::refresh() {
  if (config_.source == nullptr || !config_.clock)
    return Error(ErrorCode::kInternal, "updater has no metadata source or clock");
  trusted_.reset();
  TRUSTCTL_TRY(load_root());
  TRUSTCTL_TRY(load_timestamp());
  TRUSTCTL_TRY(load_snapshot());
  auto targets = load_targets("targets", "root");
  if (!targets) return targets.error();
  return {};
}

Status Updater::load_root() {
  auto local = read_local("root");
  if (!local)
    return Error(ErrorCode::kNotFound,
                 "no trusted root in " + config_.metadata_dir + ": " + local.error().message());
  auto set = TrustedSet::create(*local, config_.clock(), config_.key_ids);
  if (!set) return set.error();
  trusted_.emplace(std::move(set).value());

  for (int rotation = 0; rotation < config_.limits.max_root_rotations; ++rotation) {
    const std::int64_t current = trusted_->root().signed_part().version;
    if (current == std::numeric_limits<std::int64_t>::max()) break;  // no version after it
    const std::string name = std::to_string(current + 1) + ".root.json";
    auto bytes = config_.source->fetch(name, config_.limits.root_max_length);
    if (!bytes) {
      if (bytes.error().code() == ErrorCode::kNotFound) break;
      return bytes.error().wrap("fetching " + name);
    }
    TRUSTCTL_TRY(trusted_->update_root(*bytes));
    TRUSTCTL_TRY(persist("root", *bytes));
  }
  TRUSTCTL_TRY(trusted_->check_root_expiry());
  if (trusted_->timestamp_or_snapshot_keys_rotated()) {
    // Spec 5.3.11: fast-forward attack recovery. The old timestamp and snapshot may carry
    // versions pushed up by an attacker who held the old keys; forget them.
    log::debug("timestamp or snapshot keys rotated: dropping the trusted timestamp and snapshot");
    remove_local("timestamp");
    remove_local("snapshot");
  }
  return {};
}

Status Updater::load_timestamp() {
  if (auto local = read_local("timestamp")) {
    auto s = trusted_->update_timestamp(*local);
    if (!s) log::debug("local timestamp not used as final: " + s.error().message());
  }
  auto bytes = config_.source->fetch("timestamp.json", config_.limits.timestamp_max_length);
  if (!bytes) return fetch_error(bytes.error(), "timestamp.json", "every TUF repository has one");
  TRUSTCTL_TRY_ASSIGN(bool changed, trusted_->update_timestamp(*bytes));
  if (changed) TRUSTCTL_TRY(persist("timestamp", *bytes));
  return {};
}

Status Updater::load_snapshot() {
  if (auto local = read_local("snapshot")) {
    auto s = trusted_->update_snapshot(*local, /*trusted=*/true);
    if (s) return {};  // the local snapshot is current
    log::debug("local snapshot not used as final: " + s.error().message());
  }
  const MetaFile& meta = trusted_->timestamp()->signed_part().snapshot_meta;
  const std::uint64_t max =
      meta.length ? static_cast<std::uint64_t>(*meta.length) : config_.limits.snapshot_max_length;
  const std::string name =
      consistent_snapshot() ? std::to_string(meta.version) + ".snapshot.json" : "snapshot.json";
  auto bytes = config_.source->fetch(name, max);
  if (!bytes)
    return fetch_error(bytes.error(), name,
                       "timestamp version " +
                           std::to_string(trusted_->timestamp()->signed_part().version) +
                           " lists it");
  TRUSTCTL_TRY(trusted_->update_snapshot(*bytes));
  return persist("snapshot", *bytes);
}

Result<const Metadata<Targets>*> Updater::load_targets(const std::string& role,
                                                       const std::string& parent) {
  TRUSTCTL_TRY_ASSIGN(const Metadata<Targets>* loaded, trusted_->targets_via(role, parent));
  if (loaded) return loaded;
  if (auto local = read_local(role)) {
    auto s = trusted_->update_delegated_targets(*local, role, parent);
    if (s) return trusted_->targets(role);
    log::debug("local " + role + " metadata not used: " + s.error().message());
  }
  const auto& snap = trusted_->snapshot()->signed_part();
  auto meta_it = snap.meta.find(role + ".json");
  if (meta_it == snap.meta.end())
    return Error(ErrorCode::kVerification, "snapshot version " + std::to_string(snap.version) +
                                               " does not list " + role + ".json");
  const MetaFile& meta = meta_it->second;
  const std::uint64_t max =
      meta.length ? static_cast<std::uint64_t>(*meta.length) : config_.limits.targets_max_length;
  std::string name = role_file_name(role);
  if (consistent_snapshot()) name = std::to_string(meta.version) + "." + name;
  auto bytes = config_.source->fetch(name, max);
  if (!bytes)
    return fetch_error(bytes.error(), name,
                       "snapshot version " + std::to_string(snap.version) + " lists it");
  TRUSTCTL_TRY(trusted_->update_delegated_targets(*bytes, role, parent));
  TRUSTCTL_TRY(persist(role, *bytes));
  return trusted_->targets(role);
}

Result<const Metadata<Targets>*> Updater::load_delegated(const std::string& role,
                                                         const std::string& parent) {
  if (!trusted_ || !trusted_->snapshot() || trusted_->targets(parent) == nullptr)
    return Error(ErrorCode::kInternal, "load_delegated before refresh()");
  if (trusted_->snapshot()->signed_part().meta.count(role + ".json") == 0)
    return Error(ErrorCode::kNotFound, "no metadata of role '" + role + "' was published");
  return load_targets(role, parent);
}

Result<TargetFile> Updater::get_targetinfo(const std::string& target_path) {
  if (!trusted_ || trusted_->targets("targets") == nullptr) TRUSTCTL_TRY(refresh());
  // Preorder depth-first: a stack of (role, delegator); children pushed in reverse so the first
  // listed delegation is visited first.
  std::vector<std::pair<std::string, std::string>> stack = {{"targets", "root"}};
  std::set<std::string> visited;
  int visits = 0;
  while (!stack.empty()) {
    if (visits >= config_.limits.max_delegations) {  // the top-level targets role counts too
      log::debug("delegation walk for '" + target_path + "' stopped after " +
                 std::to_string(config_.limits.max_delegations) + " roles");
      break;
    }
    auto [role, parent] = stack.back();
    stack.pop_back();
    if (!visited.insert(role).second) continue;  // a cycle or a role delegated twice
    ++visits;
    // A delegated role the snapshot does not list has published nothing yet (its keys were
    // delegated but never signed): it lists no target, so the walk goes on (docs/tuf-verifier.md).
    if (role != "targets" && trusted_->snapshot()->signed_part().meta.count(role + ".json") == 0)
      continue;
    TRUSTCTL_TRY_ASSIGN(const Metadata<Targets>* md, load_targets(role, parent));
    const Targets& t = md->signed_part();
    if (auto it = t.targets.find(target_path); it != t.targets.end()) return it->second;
    if (!t.delegations) continue;
    std::vector<std::pair<std::string, std::string>> children;
    for (const auto& d : t.delegations->roles) {
      if (!d.is_delegated_path(target_path)) continue;
      children.emplace_back(d.name, role);
      if (d.terminating) {
        stack.clear();  // nothing after a terminating role is consulted
        break;
      }
    }
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  return Error(ErrorCode::kNotFound, "target '" + target_path + "' is not in the trusted metadata");
}

}  // namespace trustctl::tuf
