#include "trustctl/trust/export.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/registry/digest.h"
#include "trustctl/truststore/oci_store.h"

namespace trustctl::trust {
namespace {

using nlohmann::json;

using detail::ends_with;

std::string sha256_hex(std::string_view bytes) {
  std::string d = registry::Digest::of(bytes).string();
  return d.substr(d.find(':') + 1);
}

std::int64_t clock_now(const TrustOptions& options) {
  return options.clock ? options.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

// A file name that stays inside its folder.
bool safe_name(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Serves an in-memory set of files (an export about to be written) to the updater.
class MapSource : public tuf::MetadataSource {
 public:
  explicit MapSource(const std::map<std::string, std::string>& files) : files_(files) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    auto it = files_.find(name);
    if (it == files_.end()) return Error(ErrorCode::kNotFound, name + " is not in the export");
    if (it->second.size() > max_length)
      return Error(ErrorCode::kIntegrity, name + " is larger than " + std::to_string(max_length));
    return it->second;
  }

 private:
  const std::map<std::string, std::string>& files_;
};

struct Collected {
  std::map<std::string, std::string> files;                // name -> bytes
  std::vector<std::pair<std::string, std::string>> order;  // (name, kind), timestamp last
};

// The files a plain TUF client with consistent_snapshot fetches, from one store state: the
// root chain, timestamp.json, the snapshot it names and the roles the snapshot names.
Result<Collected> collect(truststore::OciTrustStore& store, const truststore::StoreState& state) {
  const tuf::Limits limits;
  Collected c;
  for (int v = 1; state.files.count(std::to_string(v) + ".root.json"); ++v) {
    const std::string name = std::to_string(v) + ".root.json";
    TRY_ASSIGN(c.files[name], store.file(state, name, limits.root_max_length));
    c.order.emplace_back(name, "root");
  }
  if (c.files.empty()) return Error(ErrorCode::kVerification, "the trust data has no 1.root.json");
  TRY_ASSIGN(auto ts_bytes, store.file(state, "timestamp.json", limits.timestamp_max_length));
  TRY_ASSIGN(auto ts, tuf::Metadata<tuf::Timestamp>::from_bytes(ts_bytes));
  const std::string snapshot_name =
      std::to_string(ts.signed_part().snapshot_meta.version) + ".snapshot.json";
  TRY_ASSIGN(auto sn_bytes, store.file(state, snapshot_name, limits.snapshot_max_length));
  TRY_ASSIGN(auto sn, tuf::Metadata<tuf::Snapshot>::from_bytes(sn_bytes));
  std::vector<std::pair<std::string, std::string>> roles;
  for (const auto& [meta_name, meta] : sn.signed_part().meta) {
    if (!ends_with(meta_name, ".json")) continue;
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
    TRY_ASSIGN(bool empty, dir_is_empty(dir));
    if (!empty && !force)
      return Error(ErrorCode::kUsage, dir +
                                          " is not empty; export into an empty or new folder, "
                                          "or pass --force to write over it");
    return {};
  }
  TRY(fs::make_dirs(dir, 0755));
  if (::chmod(dir.c_str(), 0755) != 0) return Error(ErrorCode::kIo, "cannot chmod " + dir);
  return {};
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

// ---- repo export -------------------------------------------------------------------------

Result<ExportReport> export_repository(ContentTrust& trust, registry::RegistryClient& client,
                                       const registry::Reference& repository,
                                       const TrustOptions& options, const std::string& dir,
                                       const ExportOptions& export_options) {
  if (dir.empty()) return Error(ErrorCode::kUsage, "repo export needs a directory");
  {  // Refuse a non-empty folder before any network work.
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return Error(ErrorCode::kUsage, dir + " exists and is not a folder");
      TRY_ASSIGN(bool empty, dir_is_empty(dir));
      if (!empty && !export_options.force)
        return Error(ErrorCode::kUsage, dir +
                                            " is not empty; export into an empty or new folder, "
                                            "or pass --force to write over it");
    }
  }
  registry::Reference ref = repository;
  ref.tag.clear();
  ref.digest.clear();
  const TrustDir trust_dir(options.trust_dir);
  truststore::BlobCache cache = trust_dir.blob_cache();
  truststore::OciTrustStore store(client, ref.repository, &cache);

  ExportReport report;
  report.dir = dir;
  std::optional<Collected> collected;
  for (int attempt = 0; attempt < 3 && !collected; ++attempt) {
    // 1. The normal verified refresh: rollback, freeze and binding against this trust dir.
    TRY_ASSIGN(report.view, trust.refresh());
    // 2. The files of the state the tag points at now, from the cache or fetched by digest.
    TRY_ASSIGN(auto head, store.head());
    if (!head)
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref.name() + " vanished during the export");
    TRY_ASSIGN(auto state, store.read(*head));
    if (!state)
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref.name() + " vanished during the export");
    TRY_ASSIGN(auto c, collect(store, *state));
    // 3. Only the state that refresh verified is exported: same timestamp as the trusted one.
    TRY_ASSIGN(auto metadata_dir, trust_dir.metadata_dir(ref));
    TRY_ASSIGN(auto trusted_ts, fs::read_file(metadata_dir + "/timestamp.json"));
    if (c.files["timestamp.json"] != trusted_ts) continue;  // a publish in between: again
    collected = std::move(c);
  }
  if (!collected)
    return Error(ErrorCode::kFreshness,
                 "the trust data of " + ref.name() + " kept changing during the export; try again");

  // 4. The exact bytes to be written, checked as a fresh TUF client checks them: from
  //    1.root.json along the chain to the root this trust dir trusts, then timestamp,
  //    snapshot and targets.
  TRY_ASSIGN(auto scratch, trust_dir.scratch("export"));
  TRY(fs::write_file_atomic(scratch.path() + "/root.json", collected->files.at("1.root.json"),
                            0600));
  MapSource source(collected->files);
  tuf::UpdaterConfig config;
  config.metadata_dir = scratch.path();
  config.source = &source;
  config.key_ids = tuf::KeyIds::kComputed;
  const std::int64_t t = clock_now(options);
  config.clock = [t] { return t; };
  tuf::Updater fresh(config);
  if (auto st = fresh.refresh(); !st) return st.error().wrap("the export of " + ref.name());
  TRY_ASSIGN(auto final_root, fs::read_file(scratch.path() + "/root.json"));
  TRY_ASSIGN(auto metadata_dir, trust_dir.metadata_dir(ref));
  TRY_ASSIGN(auto trusted_root, fs::read_file(metadata_dir + "/root.json"));
  if (final_root != trusted_root)
    return Error(ErrorCode::kVerification, "the root chain of " + ref.name() +
                                               " does not end at the root this trust dir trusts");
  TRY(check_repository_binding(fresh.trusted_set()->root().signed_part(), ref,
                               options.repository_alias, ref.name()));

  // Every signer's metadata is checked too (signatures and thresholds), as a lookup would.
  TrustedView view;
  describe_trusted(fresh, t, 0, ref.name(), "trustctl repo refresh " + ref.name(), view);
  if (options.notice)
    for (const auto& w : view.warnings) options.notice(w);

  // 5. Manifests of every trusted tag, fetched by the signed digest; length and sha256 checked.
  std::vector<std::pair<std::string, std::string>> manifests;  // (path, bytes)
  if (export_options.with_manifests) {
    for (const auto& tag : view.tags) {
      if (tag.digest.empty())
        return Error(ErrorCode::kVerification, "the target " + tag.tag + " has no sha256 hash");
      auto m = client.get_manifest(ref.repository, tag.digest);
      if (!m) return m.error().wrap("the signed manifest of " + ref.name() + ":" + tag.tag);
      if (static_cast<std::int64_t>(m->bytes.size()) != tag.length ||
          "sha256:" + sha256_hex(m->bytes) != tag.digest)
        return Error(ErrorCode::kIntegrity, "the manifest of " + ref.name() + ":" + tag.tag +
                                                " does not match its signed length and sha256");
      manifests.emplace_back("targets/" + target_file_name(tag.digest.substr(7), tag.tag),
                             std::move(m->bytes));
    }
  }

  // 6. Write: roots, roles, snapshot, manifests, and timestamp.json last (the entry point).
  TRY(prepare_dir(dir, export_options.force));
  auto write = [&](const std::string& rel, const std::string& bytes,
                   const std::string& kind) -> Status {
    auto st = fs::write_file_atomic(dir + "/" + rel, bytes, 0644);
    if (!st) return st.error().wrap("writing the export");
    report.files.push_back({rel, kind, sha256_hex(bytes), static_cast<std::int64_t>(bytes.size())});
    return {};
  };
  auto& order = collected->order;
  for (std::size_t i = 0; i + 1 < order.size(); ++i)
    TRY(write(order[i].first, collected->files.at(order[i].first), order[i].second));
  if (!manifests.empty()) {
    TRY(fs::make_dirs(dir + "/targets", 0755));
    ::chmod((dir + "/targets").c_str(), 0755);
    for (const auto& [rel, bytes] : manifests) TRY(write(rel, bytes, "manifest"));
  }
  TRY(write(order.back().first, collected->files.at(order.back().first), order.back().second));
  return report;
}

// ---- verify --offline ----------------------------------------------------------------------

OfflineVerifier::OfflineVerifier(registry::Reference repository, std::string export_dir,
                                 TrustOptions options)
    : ref_(std::move(repository)),
      dir_(std::move(export_dir)),
      options_(std::move(options)),
      source_(dir_) {
  ref_.tag.clear();
  ref_.digest.clear();
  if (!options_.notice) options_.notice = [](const std::string&) {};
}

std::int64_t OfflineVerifier::now() const { return clock_now(options_); }

Status OfflineVerifier::bootstrap_root(tuf::MetadataSource& source) {
  return establish_root(source, ref_, options_, dir_);
}

Result<TrustedView> OfflineVerifier::refresh() {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error(ErrorCode::kUsage,
                 dir_ + " is not a folder (give the folder 'trustctl repo export' wrote)");
  if (!fs::exists(dir_ + "/timestamp.json"))
    return Error(ErrorCode::kNoTrustData,
                 dir_ + " holds no trust data (no timestamp.json): not a 'trustctl repo export'");
  const TrustDir trust_dir(options_.trust_dir);
  TRY_ASSIGN(bool trusted, trust_dir.has_trusted_root(ref_));
  if (!trusted) TRY(bootstrap_root(source_));
  tuf::UpdaterConfig config;
  TRY_ASSIGN(config.metadata_dir, trust_dir.metadata_dir(ref_));
  config.source = &source_;
  config.key_ids = tuf::KeyIds::kComputed;
  const std::int64_t t = now();
  config.clock = [t] { return t; };
  updater_.emplace(config);
  if (auto s = updater_->refresh(); !s) {
    if (s.error().code() == ErrorCode::kFreshness &&
        s.error().message().find("expired") != std::string::npos) {
      return s.error().wrap("the export of " + ref_.name() + " in " + dir_ +
                            " (the publisher must run: trustctl repo refresh " + ref_.name() +
                            ", then export again)");
    }
    return s.error().wrap("the export of " + ref_.name() + " in " + dir_);
  }
  const tuf::TrustedSet* ts = updater_->trusted_set();
  TRY(check_repository_binding(ts->root().signed_part(), ref_, options_.repository_alias, dir_));

  TrustedView view;
  view.origin = trust_dir.root_origin(ref_);
  const auto& root = ts->root().signed_part();
  view.checks.push_back({"source", true, "offline export " + dir_ + " (no network)"});
  view.checks.push_back({"root", true,
                         "version " + std::to_string(root.version) + " (" +
                             std::string(root_origin_name(view.origin)) + ")"});
  view.checks.push_back(
      {"repository binding", true,
       options_.repository_alias.empty() ? ref_.repository : options_.repository_alias});
  describe_trusted(*updater_, t, options_.expiry_warning, ref_.name(),
                   "trustctl repo refresh " + ref_.name() + ", then export again", view);
  return view;
}

Status OfflineVerifier::check_manifest(const SignedTag& tag, TrustedView& view) const {
  if (tag.digest.size() <= 7) return {};
  const std::string path = dir_ + "/targets/" + target_file_name(tag.digest.substr(7), tag.tag);
  auto bytes = fs::read_regular_file(path, static_cast<std::uint64_t>(tag.length));
  if (!bytes && bytes.error().code() == ErrorCode::kNotFound)
    return {};  // exported without --with-manifests
  if (!bytes) return bytes.error().wrap("the manifest of " + ref_.name() + ":" + tag.tag);
  if (static_cast<std::int64_t>(bytes->size()) != tag.length ||
      "sha256:" + sha256_hex(*bytes) != tag.digest) {
    return Error(ErrorCode::kIntegrity, "the manifest " + path +
                                            " does not match the signed length and sha256 of " +
                                            ref_.name() + ":" + tag.tag);
  }
  view.checks.push_back(
      {"manifest", true,
       tag.digest + ", " + std::to_string(tag.length) + " bytes, read from the export and hashed"});
  return {};
}

Result<SignedTag> OfflineVerifier::verify_tag(const std::string& tag, const std::string& digest,
                                              TrustedView* view_out) {
  TRY_ASSIGN(auto view, refresh());
  TRY_ASSIGN(auto signed_tag, find_signed_tag(view, tag, ref_.name(), dir_, digest));
  TRY(check_manifest(signed_tag, view));
  if (view_out) *view_out = std::move(view);
  return signed_tag;
}

Result<std::vector<SignedTag>> OfflineVerifier::verify_digest(const std::string& digest,
                                                              TrustedView* view_out) {
  TRY_ASSIGN(auto view, refresh());
  TRY_ASSIGN(auto matches, find_signed_digest(view, digest, ref_.name(), dir_));
  TRY(check_manifest(matches.front(), view));
  if (view_out) *view_out = std::move(view);
  return matches;
}

// ---- repo delete ---------------------------------------------------------------------------

Result<DeleteReport> delete_repository(registry::RegistryClient& client,
                                       const registry::Reference& repository,
                                       const std::string& trust_dir) {
  registry::Reference ref = repository;
  ref.tag.clear();
  ref.digest.clear();
  DeleteReport report;
  report.repository = ref.name();
  const TrustDir dir(trust_dir);
  TRY_ASSIGN(auto repo_dir, dir.repository_dir(ref));
  TRY_ASSIGN(bool trusted, dir.has_trusted_root(ref));
  const bool local = trusted || fs::exists(repo_dir + "/trust.json");

  truststore::BlobCache cache = dir.blob_cache();
  truststore::OciTrustStore store(client, ref.repository, &cache);
  TRY_ASSIGN(auto head, store.head());
  std::vector<std::string> cached;  // digests whose cache entries go with the repository
  if (head) {
    cached.push_back(*head);
    if (auto state = store.read(*head); state && *state)
      for (const auto& [name, f] : (*state)->files) cached.push_back(f.digest);
    // registry:2 deletes manifests by digest only; deleting it removes the tag too.
    if (auto st = client.delete_manifest(ref.repository, *head); !st) {
      if (st.error().code() == ErrorCode::kUnsupported)
        return Error(ErrorCode::kUnsupported,
                     "the registry " + ref.registry +
                         " has deletes disabled, so the trust data of " + ref.name() +
                         " cannot be deleted (registry:2: set storage.delete.enabled: true, or "
                         "REGISTRY_STORAGE_DELETE_ENABLED=true); nothing was changed");
      return st.error().wrap("deleting the trust data of " + ref.name());
    }
    report.manifest_digest = *head;
    TRY_ASSIGN(auto after, store.head());
    if (after)
      return Error(ErrorCode::kInternal, "the " + std::string(truststore::kReservedTag) +
                                             " tag of " + ref.name() + " points at " + *after +
                                             " after the delete (someone published meanwhile); "
                                             "run repo delete again");
  } else if (!local) {
    return Error(ErrorCode::kNoTrustData,
                 ref.name() + " has no trust data, in the registry or in this trust dir");
  }

  // This trust dir forgets the repository (its own folder only): not keys, not the pin.
  TRY(dir.forget(ref));
  report.forgot_local_state = local;
  for (const auto& digest : cached)
    if (dir.drop_cached_blob(digest)) ++report.cached_blobs_removed;
  TRY_ASSIGN(auto pin, dir.pin_of(ref));
  report.pinned = pin.has_value();
  return report;
}

}  // namespace trustctl::trust
