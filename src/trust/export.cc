// repo export: a verified state written as a plain TUF repository (docs/operations.md).
#include "trustctl/trust/export.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "trustctl/core/fs.h"
#include "trustctl/registry/digest.h"
#include "trustctl/trust/store_view.h"

namespace trustctl::trust {
namespace {

std::string sha256_hex(std::string_view bytes) {
  std::string d = registry::Digest::of(bytes).string();
  return d.substr(d.find(':') + 1);
}

// A file name that stays inside its folder.
bool safe_name(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Serves an in-memory set of files (an export about to be written) to the updater.
class MapSource : public tuf::MetadataSource {
 public:
  explicit MapSource(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    auto it = files_.find(name);
    if (it == files_.end()) return Error(ErrorCode::kNotFound, name + " is not in the export");
    if (it->second.size() > max_length)
      return Error(ErrorCode::kIntegrity, name + " is larger than " + std::to_string(max_length));
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

struct Collected {
  std::map<std::string, std::string> files;                // name -> bytes
  std::vector<std::pair<std::string, std::string>> order;  // (name, kind), timestamp last
};

// The files a plain TUF client with consistent_snapshot fetches, from one store state: the
// root chain, timestamp.json, the snapshot it names and the roles the snapshot names.
Result<Collected> collect(truststore::TrustStore& store, const truststore::StoreState& state) {
  const tuf::Limits limits;
  Collected c;
  for (int v = 1; state.files.count(std::to_string(v) + ".root.json"); ++v) {
    const std::string name = std::to_string(v) + ".root.json";
    TRUSTCTL_TRY_ASSIGN(c.files[name], store.file(state, name, limits.root_max_length));
    c.order.emplace_back(name, "root");
  }
  if (c.files.empty()) return Error(ErrorCode::kVerification, "the trust data has no 1.root.json");
  TRUSTCTL_TRY_ASSIGN(auto ts_bytes,
                      store.file(state, "timestamp.json", limits.timestamp_max_length));
  TRUSTCTL_TRY_ASSIGN(auto ts, tuf::Metadata<tuf::Timestamp>::from_bytes(ts_bytes));
  const std::string snapshot_name =
      std::to_string(ts.signed_part().snapshot_meta.version) + ".snapshot.json";
  TRUSTCTL_TRY_ASSIGN(auto sn_bytes, store.file(state, snapshot_name, limits.snapshot_max_length));
  TRUSTCTL_TRY_ASSIGN(auto sn, tuf::Metadata<tuf::Snapshot>::from_bytes(sn_bytes));
  std::vector<std::pair<std::string, std::string>> roles;
  for (const auto& [meta_name, meta] : sn.signed_part().meta) {
    if (!meta_name.ends_with(".json")) continue;
    const std::string role = meta_name.substr(0, meta_name.size() - 5);
    const std::string name = std::to_string(meta.version) + "." + tuf::role_file_name(role);
    if (!safe_name(name))
      return Error(ErrorCode::kVerification, "unsafe role file name '" + name + "'");
    auto bytes = store.file(state, name, limits.targets_max_length);
    if (!bytes) {
      const std::string listed =
          "snapshot version " + std::to_string(sn.signed_part().version) + " lists " + name;
      if (bytes.error().code() == ErrorCode::kNotFound)  // listed but gone: tampering
        return Error(ErrorCode::kVerification, listed + ", but the trust data does not have it");
      return bytes.error().wrap(listed);
    }
    // Delegated roles are checked here against what the verified snapshot says of them; the
    // updater checks their signatures when a lookup walks to them.
    if (meta.length && static_cast<std::int64_t>(bytes->size()) != *meta.length)
      return Error(ErrorCode::kIntegrity, name + " does not have the length the snapshot lists");
    if (auto h = meta.hashes.find("sha256");
        h != meta.hashes.end() && h->second != sha256_hex(*bytes))
      return Error(ErrorCode::kIntegrity, name + " does not have the sha256 the snapshot lists");
    c.files[name] = std::move(bytes).value();
    roles.emplace_back(name, role == "targets" ? "targets" : "delegation");
  }
  // Delegations before targets, so a reader never sees targets naming a missing role.
  std::stable_partition(roles.begin(), roles.end(),
                        [](const auto& r) { return r.second == "delegation"; });
  c.order.insert(c.order.end(), roles.begin(), roles.end());
  c.files[snapshot_name] = sn_bytes;
  c.order.emplace_back(snapshot_name, "snapshot");
  c.files["timestamp.json"] = ts_bytes;
  c.order.emplace_back("timestamp.json", "timestamp");
  return c;
}

Result<bool> dir_is_empty(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Error(ErrorCode::kIo, "cannot read " + dir + ": " + ec.message());
  return it == std::filesystem::directory_iterator();
}

Status prepare_dir(const std::string& dir, bool force) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kUsage, dir + " exists and is not a folder");
    TRUSTCTL_TRY_ASSIGN(bool empty, dir_is_empty(dir));
    if (!empty && !force)
      return Error(ErrorCode::kUsage, dir +
                                          " is not empty; export into an empty or new folder, "
                                          "or pass --force to write over it");
    return {};
  }
  TRUSTCTL_TRY(fs::make_dirs(dir, 0755));
  if (::chmod(dir.c_str(), 0755) != 0) return Error(ErrorCode::kIo, "cannot chmod " + dir);
  return {};
}

// 1-3: the normal verified refresh (rollback, freeze and binding against this trust dir), and
// the files of exactly the state it verified.
Result<std::pair<Collected, TrustedView>> verified_files(const Verifier& verifier,
                                                         truststore::TrustStore& store) {
  TRUSTCTL_TRY_ASSIGN(auto verified, verify_store(verifier, store));
  TRUSTCTL_TRY_ASSIGN(auto collected, collect(store, verified.state));
  return std::make_pair(std::move(collected), std::move(verified.verified.view));
}

// 4: the exact bytes to be written, checked as a fresh TUF client checks them: from 1.root.json
// along the chain (first use, in a scratch trust dir) to the root this trust dir trusts.
Result<TrustedView> check_as_fresh_client(const Verifier& verifier, const Collected& collected) {
  const registry::Reference& ref = verifier.repository();
  TRUSTCTL_TRY_ASSIGN(auto scratch, verifier.dir().scratch("export"));
  VerifyOptions fresh_options = verifier.options();
  fresh_options.allow_tofu = true;
  fresh_options.notice = [](const std::string&) {};
  fresh_options.expiry_warning = 0;
  const Verifier fresh(TrustDir(scratch.path()), ref, fresh_options);
  TRUSTCTL_TRY_ASSIGN(auto checked, fresh.verify(std::make_shared<MapSource>(collected.files),
                                                 "the export of " + ref.name(), renew_hint(ref)));
  TRUSTCTL_TRY_ASSIGN(auto fresh_dir, fresh.dir().metadata_dir(ref));
  TRUSTCTL_TRY_ASSIGN(auto final_root, fs::read_file(fresh_dir + "/root.json"));
  TRUSTCTL_TRY_ASSIGN(auto metadata_dir, verifier.dir().metadata_dir(ref));
  TRUSTCTL_TRY_ASSIGN(auto trusted_root, fs::read_file(metadata_dir + "/root.json"));
  if (final_root != trusted_root)
    return Error(ErrorCode::kVerification, "the root chain of " + ref.name() +
                                               " does not end at the root this trust dir trusts");
  return std::move(checked.view);
}

// 5: the manifests of every trusted tag, checked against their signed length and sha256.
Result<std::vector<std::pair<std::string, std::string>>> signed_manifests(ManifestSource& manifests,
                                                                          const TrustedView& view,
                                                                          const std::string& repo) {
  std::vector<std::pair<std::string, std::string>> out;  // (path, bytes)
  for (const auto& tag : view.tags) {
    if (tag.digest.empty())
      return Error(ErrorCode::kVerification, "the target " + tag.tag + " has no sha256 hash");
    auto bytes = manifests.signed_manifest(tag);
    if (!bytes) return bytes.error().wrap("the signed manifest of " + repo + ":" + tag.tag);
    if (!*bytes) continue;
    if (static_cast<std::int64_t>((*bytes)->size()) != tag.length ||
        "sha256:" + sha256_hex(**bytes) != tag.digest)
      return Error(ErrorCode::kIntegrity, "the manifest of " + repo + ":" + tag.tag +
                                              " does not match its signed length and sha256");
    out.emplace_back("targets/" + target_file_name(tag.digest.substr(7), tag.tag),
                     std::move(**bytes));
  }
  return out;
}

}  // namespace

Result<std::string> DirectorySource::fetch(const std::string& name, std::uint64_t max_length) {
  if (!safe_name(name))
    return Error(ErrorCode::kVerification, "refusing the metadata file name '" + name + "'");
  // A regular file within its cap, nothing else: not a link, a FIFO or a device.
  return fs::read_regular_file(dir_ + "/" + name, max_length);
}

std::string target_file_name(const std::string& sha256_hex, const std::string& name) {
  return sha256_hex + "." + name;
}

Result<ExportReport> export_repository(const Verifier& verifier, truststore::TrustStore& store,
                                       ManifestSource& manifests, const std::string& dir,
                                       const ExportOptions& options) {
  if (dir.empty()) return Error(ErrorCode::kUsage, "repo export needs a directory");
  {  // Refuse a non-empty folder before any network work.
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) TRUSTCTL_TRY(prepare_dir(dir, options.force));
  }
  const std::string repo = verifier.repository().name();
  TRUSTCTL_TRY_ASSIGN(auto collected, verified_files(verifier, store));
  ExportReport report;
  report.dir = dir;
  report.view = std::move(collected.second);
  TRUSTCTL_TRY_ASSIGN(auto view, check_as_fresh_client(verifier, collected.first));
  std::vector<std::pair<std::string, std::string>> signed_files;
  if (options.with_manifests) {
    TRUSTCTL_TRY_ASSIGN(signed_files, signed_manifests(manifests, view, repo));
  }

  // 6. Write: roots, roles, snapshot, manifests, and timestamp.json last (the entry point).
  TRUSTCTL_TRY(prepare_dir(dir, options.force));
  auto write = [&](const std::string& rel, const std::string& bytes,
                   const std::string& kind) -> Status {
    auto st = fs::write_file_atomic(dir + "/" + rel, bytes, 0644);
    if (!st) return st.error().wrap("writing the export");
    report.files.push_back({rel, kind, sha256_hex(bytes), static_cast<std::int64_t>(bytes.size())});
    return {};
  };
  const auto& order = collected.first.order;
  const auto& files = collected.first.files;
  for (std::size_t i = 0; i + 1 < order.size(); ++i)
    TRUSTCTL_TRY(write(order[i].first, files.at(order[i].first), order[i].second));
  if (!signed_files.empty()) {
    TRUSTCTL_TRY(fs::make_dirs(dir + "/targets", 0755));
    ::chmod((dir + "/targets").c_str(), 0755);
    for (const auto& [rel, bytes] : signed_files) TRUSTCTL_TRY(write(rel, bytes, "manifest"));
  }
  TRUSTCTL_TRY(write(order.back().first, files.at(order.back().first), order.back().second));
  return report;
}

}  // namespace trustctl::trust
