#include "trustctl/trust/content_trust.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/registry/digest.h"

namespace trustctl::trust {
namespace {

using nlohmann::json;
using truststore::StoreState;

using detail::ends_with;
using detail::kPendingPrefix;
using detail::sign_version;

constexpr std::string_view kTargetsRole = "targets";

// Serves the files of one store state to the TUF updater.
class StoreSource : public tuf::MetadataSource {
 public:
  StoreSource(truststore::OciTrustStore& store, StoreState state)
      : store_(store), state_(std::move(state)) {}
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override {
    return store_.file(state_, name, max_length);
  }

 private:
  truststore::OciTrustStore& store_;
  StoreState state_;  // a copy: the updater may fetch delegated roles later
};

}  // namespace

std::string sha256_of(const tuf::TargetFile& t) {
  auto it = t.hashes.find("sha256");
  return it == t.hashes.end() ? std::string() : "sha256:" + it->second;
}

std::string media_type_of(const tuf::TargetFile& t) {
  if (t.custom && t.custom->is_object()) {
    auto it = t.custom->find("mediaType");
    if (it != t.custom->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

std::string_view root_origin_name(RootOrigin origin) {
  switch (origin) {
    case RootOrigin::kCreated:
      return "created";
    case RootOrigin::kPinned:
      return "pinned";
    case RootOrigin::kTofu:
      return "tofu";
  }
  return "tofu";
}

struct ContentTrust::Loaded {
  std::unique_ptr<tuf::MetadataSource> source;  // the updater fetches through it
  tuf::Updater updater;
};

ContentTrust::ContentTrust(registry::RegistryClient& client, registry::Reference repository,
                           keystore::KeyStore* keys, TrustOptions options)
    : client_(client),
      ref_(std::move(repository)),
      keys_(keys),
      options_(std::move(options)),
      cache_(options_.trust_dir + "/cache/blobs"),
      store_(client_, ref_.repository, &cache_) {
  ref_.tag.clear();
  ref_.digest.clear();
  if (!options_.notice) options_.notice = [](const std::string& m) { log::info(m); };
}

std::int64_t ContentTrust::now() const {
  if (clock_override_) return *clock_override_;
  return options_.clock ? options_.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

Result<ContentTrust::Loaded> ContentTrust::load_for_renewal(const StoreState& state) {
  auto loaded = load(state, nullptr);
  if (loaded || loaded.error().code() != ErrorCode::kFreshness) return loaded;
  // Renewing is how an expired timestamp or snapshot gets fixed, so the publisher checks the
  // current state as of just before the earlier of the two expired: every signature, version
  // and hash is still verified; only their expiry is not held against the renewal.
  std::optional<std::int64_t> earliest;
  auto consider = [&](std::int64_t expires) {
    if (!earliest || expires < *earliest) earliest = expires;
  };
  if (auto ts = store_.file(state, "timestamp.json", 16 * 1024)) {
    if (auto md = tuf::Metadata<tuf::Timestamp>::from_bytes(*ts)) {
      consider(md->signed_part().expires);
      std::string name = std::to_string(md->signed_part().snapshot_meta.version) + ".snapshot.json";
      if (auto sn = store_.file(state, name, 2 * 1024 * 1024)) {
        if (auto smd = tuf::Metadata<tuf::Snapshot>::from_bytes(*sn))
          consider(smd->signed_part().expires);
      }
    }
  }
  if (!earliest || *earliest - 1 >= now()) return loaded;
  clock_override_ = *earliest - 1;
  auto again = load(state, nullptr);
  clock_override_.reset();
  return again;
}

std::string ContentTrust::repository_dir(const std::string& trust_dir,
                                         const registry::Reference& repository) {
  return trust_dir + "/tuf/" + repository.registry + "/" + repository.repository;
}

std::string ContentTrust::metadata_dir() const {
  return repository_dir(options_.trust_dir, ref_) + "/metadata";
}

RootOrigin read_root_origin(const std::string& trust_dir, const registry::Reference& repository) {
  auto bytes = fs::read_file(ContentTrust::repository_dir(trust_dir, repository) + "/trust.json");
  if (!bytes) return RootOrigin::kTofu;
  json j = json::parse(*bytes, nullptr, false);
  std::string o = j.is_object() && j.contains("root_origin") && j["root_origin"].is_string()
                      ? j["root_origin"].get<std::string>()
                      : "";
  if (o == "created") return RootOrigin::kCreated;
  if (o == "pinned") return RootOrigin::kPinned;
  return RootOrigin::kTofu;
}

namespace {

Status write_origin(const TrustOptions& options, const registry::Reference& ref,
                    RootOrigin origin) {
  std::string dir = ContentTrust::repository_dir(options.trust_dir, ref);
  TRY(fs::make_dirs(dir, 0700));
  json j = {{"root_origin", root_origin_name(origin)}};
  return fs::write_file_atomic(dir + "/trust.json", j.dump(2) + "\n", 0600);
}

}  // namespace

Status check_repository_binding(const tuf::Root& root, const registry::Reference& ref,
                                const std::string& alias, const std::string& where) {
  const std::string want = alias.empty() ? ref.repository : alias;
  auto it = root.unrecognized.find(std::string(kRepositoryField));
  if (it == root.unrecognized.end() || !it->is_string()) {
    return Error(ErrorCode::kVerification,
                 "the root in " + where + " does not say which repository it speaks for");
  }
  if (it->get<std::string>() != want) {
    return Error(ErrorCode::kVerification, "the trust data in " + where +
                                               " was made for repository '" +
                                               it->get<std::string>() + "', not '" + want +
                                               "' (copied from another repository?)");
  }
  return {};
}

Status establish_root(tuf::MetadataSource& source, const registry::Reference& ref,
                      const TrustOptions& options, const std::string& where) {
  TRY_ASSIGN(auto pins, load_pins(options.trust_dir));
  const Pin* pin = nullptr;
  for (const auto& p : pins)
    if (p.repository == ref.name()) pin = &p;
  const tuf::Limits limits;
  std::string first_keys;
  for (int version = 1;; ++version) {
    const std::string name = std::to_string(version) + ".root.json";
    auto bytes = source.fetch(name, limits.root_max_length);
    if (!bytes) {
      if (bytes.error().code() == ErrorCode::kNotFound) break;
      return bytes.error();
    }
    TRY_ASSIGN(auto root, tuf::Metadata<tuf::Root>::from_bytes(*bytes));
    if (auto st = root.verify_delegate("root", root); !st)
      return st.error().wrap(name + " in " + where + " is not signed by its own root keys");
    const auto& roles = root.signed_part().roles;
    auto role = roles.find("root");
    const std::vector<std::string> keyids =
        role == roles.end() ? std::vector<std::string>{} : role->second.keyids;
    if (keyids.empty()) return Error(ErrorCode::kVerification, name + " lists no root key");
    if (version == 1)
      for (const auto& k : keyids) first_keys += (first_keys.empty() ? "" : ", ") + k;
    bool accept = false;
    RootOrigin origin = RootOrigin::kTofu;
    if (pin) {
      for (const auto& k : keyids)
        accept =
            accept || std::find(pin->keyids.begin(), pin->keyids.end(), k) != pin->keyids.end();
      origin = RootOrigin::kPinned;
    } else if (version == 1) {
      if (!options.allow_tofu) {
        return Error(ErrorCode::kVerification,
                     "the root of " + ref.name() + " is not trusted yet (root key " + first_keys +
                         "). Check the fingerprint with its owner, then run: trustctl trust pin " +
                         ref.name() + " --fingerprint " + keyids.front() +
                         "  (or pass --tofu to trust it on first use)");
      }
      accept = true;
    }
    if (!accept) continue;
    TRY(check_repository_binding(root.signed_part(), ref, options.repository_alias, where));
    const std::string metadata_dir =
        ContentTrust::repository_dir(options.trust_dir, ref) + "/metadata";
    TRY(fs::make_dirs(metadata_dir, 0700));
    TRY(fs::write_file_atomic(metadata_dir + "/root.json", *bytes, 0600));
    TRY(write_origin(options, ref, origin));
    if (origin == RootOrigin::kTofu && options.notice) {
      options.notice("trusting the root of " + ref.name() + " on first use: root key " +
                     first_keys);
    }
    return {};
  }
  if (pin) {
    return Error(ErrorCode::kVerification, "no root in " + where +
                                               " is signed by the pinned root key(s) " +
                                               pin->keyids.front() + " of " + ref.name());
  }
  return Error(ErrorCode::kVerification, where + " has no 1.root.json");
}

Result<ContentTrust::Loaded> ContentTrust::load(const StoreState& state, TrustedView* view) {
  const bool seen = fs::exists(metadata_dir() + "/root.json");
  auto source = std::make_unique<StoreSource>(store_, state);
  if (!seen) TRY(establish_root(*source, ref_, options_, ref_.name()));
  tuf::UpdaterConfig config;
  config.metadata_dir = metadata_dir();
  config.source = source.get();
  config.clock = [this] { return now(); };
  Loaded loaded{std::move(source), tuf::Updater(config)};
  auto st = loaded.updater.refresh();
  if (!st) {
    if (st.error().code() == ErrorCode::kFreshness &&
        st.error().message().find("expired") != std::string::npos) {
      return st.error().wrap("trust data of " + ref_.name() +
                             " (the publisher must run: trustctl repo refresh " + ref_.name() +
                             ")");
    }
    return st.error().wrap("trust data of " + ref_.name());
  }
  const tuf::TrustedSet* ts = loaded.updater.trusted_set();
  TRY(check_repository_binding(ts->root().signed_part(), ref_, options_.repository_alias,
                               ref_.name()));
  if (view) {
    view->origin = read_root_origin(options_.trust_dir, ref_);
    view->checks.push_back({"root", true,
                            "version " + std::to_string(ts->root().signed_part().version) + " (" +
                                std::string(root_origin_name(view->origin)) + ")"});
    view->checks.push_back({"repository binding", true, ref_.repository});
    describe_trusted(loaded.updater, now(), options_.expiry_warning, ref_.name(),
                     "trustctl repo refresh " + ref_.name(), *view);
    view->pending = read_pending(state, loaded.updater, view);
  }
  return loaded;
}

Result<TrustedView> ContentTrust::refresh_state(std::optional<StoreState>* state_out) {
  TRY_ASSIGN(auto head, store_.head());
  const bool seen = fs::exists(metadata_dir() + "/root.json");
  std::optional<StoreState> state;
  if (head) {
    TRY_ASSIGN(state, store_.read(*head));
  }
  if (!state) {
    if (seen) {
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref_.name() +
                       " is gone, but this trust dir has seen it before: treating that as an "
                       "attack (someone deleted or replaced the " +
                       std::string(truststore::kReservedTag) + " tag)");
    }
    return Error(ErrorCode::kNoTrustData, ref_.name() +
                                              " has no trust data (nothing was ever "
                                              "signed there)");
  }
  TrustedView view;
  TRY(load(*state, &view));
  if (state_out) *state_out = std::move(state);
  return view;
}

Result<TrustedView> ContentTrust::refresh() { return refresh_state(nullptr); }

Result<SignedTag> ContentTrust::verify_tag(const std::string& tag, TrustedView* view_out) {
  TRY_ASSIGN(auto view, refresh());
  TRY_ASSIGN(auto signed_tag, find_signed_tag(view, tag, ref_.name()));
  // The registry is a source of bytes only: fetch by the signed digest and check it all.
  auto manifest = client_.get_manifest(ref_.repository, signed_tag.digest);
  if (!manifest) {
    if (manifest.error().code() == ErrorCode::kNotFound)
      return Error(ErrorCode::kNotFound, "the signed manifest " + signed_tag.digest + " of " +
                                             ref_.name() + ":" + tag + " is not in the registry");
    return manifest.error();
  }
  if (static_cast<std::int64_t>(manifest->bytes.size()) != signed_tag.length) {
    return Error(ErrorCode::kIntegrity, "the manifest of " + ref_.name() + ":" + tag + " is " +
                                            std::to_string(manifest->bytes.size()) +
                                            " bytes, the signed length is " +
                                            std::to_string(signed_tag.length));
  }
  view.checks.push_back({"manifest", true,
                         signed_tag.digest + ", " + std::to_string(signed_tag.length) +
                             " bytes, fetched by digest and hashed"});
  if (view_out) *view_out = std::move(view);
  return signed_tag;
}

Result<std::vector<SignedTag>> ContentTrust::verify_digest(const std::string& digest,
                                                           TrustedView* view_out) {
  TRY_ASSIGN(auto view, refresh());
  TRY_ASSIGN(auto matches, find_signed_digest(view, digest, ref_.name()));
  auto manifest = client_.get_manifest(ref_.repository, digest);
  if (!manifest) return manifest.error();
  if (static_cast<std::int64_t>(manifest->bytes.size()) != matches.front().length)
    return Error(ErrorCode::kIntegrity, "the manifest " + digest +
                                            " has another length than "
                                            "the signed one");
  if (view_out) *view_out = std::move(view);
  return matches;
}

Result<crypto::PrivateKey> ContentTrust::role_key(const tuf::Root& root, const std::string& role) {
  if (!keys_) return Error(ErrorCode::kInternal, "no key store");
  auto it = root.roles.find(role);
  if (it == root.roles.end())
    return Error(ErrorCode::kVerification, "root lists no " + role + " role");
  TRY_ASSIGN(auto all, keys_->list());
  for (const auto& k : all) {
    if (std::find(it->second.keyids.begin(), it->second.keyids.end(), k.id) ==
        it->second.keyids.end())
      continue;
    return keys_->load(k.id);
  }
  return Error(ErrorCode::kAuth, "this trust dir holds no " + role + " key of " + ref_.name() +
                                     " (root lists " +
                                     (it->second.keyids.empty() ? "none" : it->second.keyids[0]) +
                                     "); import it with: trustctl key import FILE");
}

Status ContentTrust::init() {
  if (!keys_) return Error(ErrorCode::kInternal, "no key store");
  TRY_ASSIGN(auto head, store_.head());
  if (head) {
    return Error(ErrorCode::kUsage, ref_.name() +
                                        " already has trust data; nothing to "
                                        "initialise");
  }
  const std::string gun = ref_.name();
  const std::int64_t t = now();
  tuf::Root root;
  root.version = 1;
  root.expires = t + options_.lifetimes.root;
  root.consistent_snapshot = true;
  root.unrecognized[std::string(kRepositoryField)] = ref_.repository;
  std::map<std::string, crypto::PrivateKey> keys;
  for (const char* role : {"root", "targets", "snapshot", "timestamp"}) {
    TRY_ASSIGN(auto info, keys_->generate(options_.key_type, role, gun));
    TRY_ASSIGN(auto key, keys_->load(info.id));
    root.add_key(role, key.public_key());
    keys.emplace(role, std::move(key));
  }
  tuf::Metadata<tuf::Root> root_md(root);
  TRY_ASSIGN(auto root_bytes, sign_version(root_md, 1, root.expires, keys.at("root")));

  tuf::Metadata<tuf::Targets> targets_md{tuf::Targets{}};
  TRY_ASSIGN(auto targets_bytes,
             sign_version(targets_md, 1, t + options_.lifetimes.targets, keys.at("targets")));

  tuf::Snapshot snapshot;
  snapshot.meta["targets.json"] = tuf::MetaFile::of(1, targets_bytes);
  tuf::Metadata<tuf::Snapshot> snapshot_md(snapshot);
  TRY_ASSIGN(auto snapshot_bytes,
             sign_version(snapshot_md, 1, t + options_.lifetimes.snapshot, keys.at("snapshot")));

  tuf::Timestamp timestamp;
  timestamp.snapshot_meta = tuf::MetaFile::of(1, snapshot_bytes);
  tuf::Metadata<tuf::Timestamp> timestamp_md(timestamp);
  TRY_ASSIGN(auto timestamp_bytes,
             sign_version(timestamp_md, 1, t + options_.lifetimes.timestamp, keys.at("timestamp")));

  std::map<std::string, std::string> files = {{"1.root.json", root_bytes},
                                              {"1.targets.json", targets_bytes},
                                              {"1.snapshot.json", snapshot_bytes},
                                              {"timestamp.json", timestamp_bytes}};
  const std::string root_digest = registry::Digest::of(root_bytes).string();
  auto published = truststore::publish(
      store_,
      [&](const std::optional<StoreState>& current) -> Result<std::map<std::string, std::string>> {
        if (current)
          return Error(ErrorCode::kUsage,
                       ref_.name() + " was initialised by someone else meanwhile");
        return files;
      },
      [&](const StoreState& latest) -> Result<bool> {
        auto it = latest.files.find("1.root.json");
        return it != latest.files.end() && it->second.digest == root_digest;
      },
      options_.publish);
  if (!published) return published.error();
  // This trust dir made the root: it is trusted.
  TRY(fs::make_dirs(metadata_dir(), 0700));
  TRY(fs::write_file_atomic(metadata_dir() + "/root.json", root_bytes, 0600));
  TRY(write_origin(options_, ref_, RootOrigin::kCreated));
  options_.notice("initialised trust data for " + ref_.name() + " (root key " +
                  root_md.signed_part().roles.at("root").keyids.front() + ")");
  return {};
}

bool ContentTrust::holds_role_key(const tuf::Root& root, const std::string& role) const {
  if (!keys_) return false;
  auto it = root.roles.find(role);
  auto all = keys_->list();
  if (it == root.roles.end() || !all) return false;
  for (const auto& k : *all)
    if (std::find(it->second.keyids.begin(), it->second.keyids.end(), k.id) !=
        it->second.keyids.end())
      return true;
  return false;
}

Result<StoreState> ContentTrust::publish_plan(
    const Planner& planner, const std::function<Result<bool>(const TrustedView&)>& present) {
  constexpr std::uint64_t kMaxFile = 5 * 1024 * 1024;
  auto build =
      [&](const std::optional<StoreState>& current) -> Result<std::map<std::string, std::string>> {
    if (!current) {
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref_.name() + " vanished while publishing");
    }
    // Every publication re-signs snapshot and timestamp, so their expiry is not held against it.
    TRY_ASSIGN(auto loaded, load_for_renewal(*current));
    TRY_ASSIGN(Plan plan, planner(*current, loaded.updater));
    const tuf::TrustedSet* ts = loaded.updater.trusted_set();
    const tuf::Root& root = plan.root ? plan.root->signed_part() : ts->root().signed_part();
    const tuf::Snapshot& old_snapshot = ts->snapshot()->signed_part();
    const std::int64_t t = now();

    auto pending_signer = [](const std::string& name) -> std::optional<std::string> {
      if (name.rfind(kPendingPrefix, 0) != 0 || !ends_with(name, ".json")) return std::nullopt;
      return name.substr(kPendingPrefix.size(), name.size() - kPendingPrefix.size() - 5);
    };
    const tuf::Targets& new_targets =
        plan.targets ? plan.targets->signed_part() : ts->targets()->signed_part();
    // Whether another signer's waiting version still means something: its signer is still
    // delegated and it proposes the version after the signer's current one.
    auto live_proposal = [&](const std::string& signer, const std::string& bytes) {
      if (!new_targets.delegations || !new_targets.delegations->find(signer)) return false;
      auto md = tuf::Metadata<tuf::Targets>::from_bytes(bytes);
      auto meta = old_snapshot.meta.find(signer + ".json");
      const std::int64_t current_version =
          meta == old_snapshot.meta.end() ? 0 : meta->second.version;
      return md && md->signed_part().version == current_version + 1;
    };
    std::map<std::string, std::string> files;
    for (const auto& [name, f] : current->files) {
      bool keep = !plan.resign || ends_with(name, ".root.json");
      auto signer = pending_signer(name);
      if (signer) keep = plan.pending.count(*signer) == 0;
      // Signers' versions stay as the snapshot lists them unless replaced now.
      for (const auto& [meta_name, meta] : old_snapshot.meta) {
        if (meta_name == "targets.json") continue;
        const std::string role = meta_name.substr(0, meta_name.size() - 5);
        if (name == std::to_string(meta.version) + "." + meta_name && !plan.delegated.count(role))
          keep = true;
      }
      if (!keep) continue;
      TRY_ASSIGN(auto bytes, store_.file(*current, name, kMaxFile));
      if (signer && plan.resign && !live_proposal(*signer, bytes)) continue;  // stale: dropped
      files[name] = std::move(bytes);
    }
    for (const auto& [signer, bytes] : plan.pending)
      if (bytes) files[std::string(kPendingPrefix) + signer + ".json"] = *bytes;
    if (plan.root) {
      TRY_ASSIGN(auto root_bytes, plan.root->to_bytes());
      files[std::to_string(root.version) + ".root.json"] = root_bytes;
    }
    if (!plan.resign) return files;

    tuf::Metadata<tuf::Targets> targets = plan.targets ? *plan.targets : *ts->targets();
    std::string targets_bytes;
    if (plan.targets) {
      TRY_ASSIGN(auto targets_key, role_key(root, "targets"));
      TRY_ASSIGN(targets_bytes, sign_version(targets, ts->targets()->signed_part().version + 1,
                                             t + options_.lifetimes.targets, targets_key));
    } else {
      const std::string name = std::to_string(targets.signed_part().version) + ".targets.json";
      TRY_ASSIGN(targets_bytes, store_.file(*current, name, kMaxFile));
    }
    const tuf::Targets& tg = targets.signed_part();

    tuf::Metadata<tuf::Snapshot> snapshot = *ts->snapshot();
    snapshot.mutate().meta["targets.json"] = tuf::MetaFile::of(tg.version, targets_bytes);
    for (const auto& [role, bytes] : plan.delegated) {
      TRY_ASSIGN(auto md, tuf::Metadata<tuf::Targets>::from_bytes(bytes));
      const std::int64_t version = md.signed_part().version;
      snapshot.mutate().meta[role + ".json"] = tuf::MetaFile::of(version, bytes);
      files[std::to_string(version) + "." + tuf::role_file_name(role)] = bytes;
    }
    TRY_ASSIGN(auto snapshot_key, role_key(root, "snapshot"));
    TRY_ASSIGN(auto snapshot_bytes, sign_version(snapshot, snapshot.signed_part().version + 1,
                                                 t + options_.lifetimes.snapshot, snapshot_key));
    const tuf::Snapshot& sn = snapshot.signed_part();

    tuf::Metadata<tuf::Timestamp> timestamp = *ts->timestamp();
    timestamp.mutate().snapshot_meta = tuf::MetaFile::of(sn.version, snapshot_bytes);
    TRY_ASSIGN(auto timestamp_key, role_key(root, "timestamp"));
    TRY_ASSIGN(auto timestamp_bytes, sign_version(timestamp, timestamp.signed_part().version + 1,
                                                  t + options_.lifetimes.timestamp, timestamp_key));

    files[std::to_string(tg.version) + ".targets.json"] = targets_bytes;
    files[std::to_string(sn.version) + ".snapshot.json"] = snapshot_bytes;
    files["timestamp.json"] = timestamp_bytes;
    return files;
  };
  auto confirm = [&](const StoreState& latest) -> Result<bool> {
    TrustedView view;
    TRY(load(latest, &view));
    return present(view);
  };
  return truststore::publish(store_, build, confirm, options_.publish);
}

Result<StoreState> ContentTrust::publish_change(
    const std::function<Status(tuf::Targets&)>& change,
    const std::function<Result<bool>(const TrustedView&)>& present) {
  return publish_plan(
      [&](const StoreState&, tuf::Updater& updater) -> Result<Plan> {
        Plan plan;
        if (change) {
          plan.targets = *updater.trusted_set()->targets();
          TRY(change(plan.targets->mutate()));
        }
        return plan;
      },
      present);
}

Result<std::vector<SignedTag>> ContentTrust::resolve_tags(const std::vector<TagRequest>& requests) {
  if (requests.empty()) return Error(ErrorCode::kUsage, "no tag to sign");
  // The registry's tag is used only here, when signing; --digest pins what is expected.
  std::vector<SignedTag> wanted;
  for (const auto& r : requests) {
    if (!registry::is_valid_tag(r.tag))
      return Error(ErrorCode::kUsage, "invalid tag '" + r.tag + "'");
    auto current = client_.head_manifest(ref_.repository, r.tag);
    registry::Descriptor d;
    if (current) {
      d = *current;
      if (!r.digest.empty() && d.digest != r.digest) {
        return Error(ErrorCode::kVerification, ref_.name() + ":" + r.tag + " points at " +
                                                   d.digest +
                                                   " in the registry, "
                                                   "not at the expected " +
                                                   r.digest + "; refusing to sign");
      }
    } else if (current.error().code() == ErrorCode::kNotFound && !r.digest.empty()) {
      TRY_ASSIGN(d, client_.head_manifest(ref_.repository, r.digest));
    } else {
      return current.error();
    }
    // Length and hash come from the manifest bytes themselves, never from headers alone.
    TRY_ASSIGN(auto manifest, client_.get_manifest(ref_.repository, d.digest));
    SignedTag t;
    t.tag = r.tag;
    t.digest = manifest.descriptor.digest;
    t.length = static_cast<std::int64_t>(manifest.bytes.size());
    t.media_type = manifest.descriptor.media_type;
    t.signers = {std::string(kTargetsRole)};
    wanted.push_back(t);
  }

  return wanted;
}

Result<std::vector<SignedTag>> ContentTrust::sign(const std::vector<TagRequest>& requests,
                                                  bool init_if_missing) {
  TRY_ASSIGN(auto wanted, resolve_tags(requests));
  TRY_ASSIGN(auto head, store_.head());
  if (!head) {
    if (fs::exists(metadata_dir() + "/root.json")) {
      return Error(ErrorCode::kFreshness,
                   "the trust data of " + ref_.name() +
                       " is gone, but this trust dir has seen "
                       "it before; refusing to create a new root over a possible attack (run "
                       "trustctl repo init " +
                       ref_.name() + " after checking)");
    }
    if (!init_if_missing) {
      return Error(ErrorCode::kNoTrustData,
                   ref_.name() + " has no trust data; initialise it with 'trustctl repo init " +
                       ref_.name() + "' or 'trustctl sign --init'");
    }
    TRY(init());
  }
  auto published = publish_change(
      [&](tuf::Targets& tg) -> Status {
        for (const auto& t : wanted) {
          tuf::TargetFile f;
          f.length = t.length;
          f.hashes["sha256"] = t.digest.substr(7);
          f.custom = json{{"mediaType", t.media_type}};
          tg.targets[t.tag] = f;
        }
        return {};
      },
      [&](const TrustedView& view) -> Result<bool> {
        for (const auto& t : wanted) {
          auto it = std::find_if(view.tags.begin(), view.tags.end(),
                                 [&](const SignedTag& s) { return s.tag == t.tag; });
          if (it == view.tags.end() || it->digest != t.digest) return false;
        }
        return true;
      });
  if (!published) return published.error();
  return wanted;
}

Result<std::vector<std::string>> ContentTrust::revoke(const std::vector<std::string>& tags,
                                                      bool all) {
  TRY_ASSIGN(auto view, refresh());
  // This revokes what the repository key signed; a signer's tags are revoked by the signer.
  auto by_repository_key = [](const SignedTag& s) {
    return std::find(s.signers.begin(), s.signers.end(), kTargetsRole) != s.signers.end();
  };
  std::vector<std::string> removing;
  if (all) {
    for (const auto& t : view.tags)
      if (by_repository_key(t)) removing.push_back(t.tag);
  } else {
    for (const auto& tag : tags) {
      auto it = std::find_if(view.tags.begin(), view.tags.end(),
                             [&](const SignedTag& s) { return s.tag == tag; });
      if (it == view.tags.end())
        return Error(ErrorCode::kNoTrustData, ref_.name() + ":" + tag + " is not signed");
      if (!by_repository_key(*it)) {
        return Error(ErrorCode::kUsage, ref_.name() + ":" + tag + " is signed by signer " +
                                            it->signers.front() +
                                            ", not by the repository key: revoke it with "
                                            "trustctl revoke --signer " +
                                            it->signers.front() + " " + ref_.name() + ":" + tag);
      }
      removing.push_back(tag);
    }
  }
  if (removing.empty()) return removing;
  TrustedView confirmed;  // the state that confirmed the revocation
  auto published = publish_change(
      [&](tuf::Targets& tg) -> Status {
        for (const auto& tag : removing) tg.targets.erase(tag);
        return {};
      },
      [&](const TrustedView& latest) -> Result<bool> {
        // A revocation is never dropped by a merge: it is confirmed only when no revoked tag
        // is signed by the repository key in the latest trusted state.
        for (const auto& tag : removing)
          for (const auto& s : latest.tags)
            if (s.tag == tag && by_repository_key(s)) return false;
        confirmed = latest;
        return true;
      });
  if (!published) return published.error();
  // A signer may still sign a revoked tag (then that binding is the trusted one now).
  for (const auto& tag : removing)
    for (const auto& s : confirmed.tags)
      if (s.tag == tag && !s.signers.empty())
        options_.notice(ref_.name() + ":" + tag + " is still signed by signer " +
                        s.signers.front() + " (" + s.digest + "); revoke it there with --signer " +
                        s.signers.front());
  return removing;
}

Result<bool> forget_untrusted_origin(const std::string& trust_dir,
                                     const registry::Reference& repository) {
  const std::string dir = ContentTrust::repository_dir(trust_dir, repository);
  if (!fs::exists(dir + "/metadata/root.json")) return false;
  if (read_root_origin(trust_dir, repository) == RootOrigin::kCreated) return false;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Error(ErrorCode::kIo, "cannot remove " + dir + ": " + ec.message());
  return true;
}

Result<std::vector<Pin>> load_pins(const std::string& trust_dir) {
  std::vector<Pin> pins;
  const std::string path = trust_dir + "/pins.json";
  if (!fs::exists(path)) return pins;
  TRY_ASSIGN(auto bytes, fs::read_file(path));
  json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("pins") || !j["pins"].is_object())
    return Error(ErrorCode::kIo, path + " is malformed");
  for (const auto& [repo, v] : j["pins"].items()) {
    Pin p;
    p.repository = repo;
    if (!v.is_object() || !v.contains("root_keyids") || !v["root_keyids"].is_array())
      return Error(ErrorCode::kIo, path + ": pin of " + repo + " is malformed");
    for (const auto& k : v["root_keyids"])
      if (k.is_string()) p.keyids.push_back(k.get<std::string>());
    pins.push_back(p);
  }
  return pins;
}

Status save_pins(const std::string& trust_dir, const std::vector<Pin>& pins) {
  json j = {{"pins", json::object()}};
  for (const auto& p : pins) j["pins"][p.repository] = {{"root_keyids", p.keyids}};
  TRY(fs::make_dirs(trust_dir, 0700));
  return fs::write_file_atomic(trust_dir + "/pins.json", j.dump(2) + "\n", 0600);
}

}  // namespace trustctl::trust
