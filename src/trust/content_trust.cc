#include "trustctl/trust/content_trust.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "loaded.h"
#include "signing.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/registry/digest.h"
#include "withdrawals.h"

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

ContentTrust::ContentTrust(registry::RegistryClient& client, registry::Reference repository,
                           keystore::KeyStore* keys, TrustOptions options)
    : client_(client),
      ref_(std::move(repository)),
      keys_(keys),
      options_(std::move(options)),
      dir_(options_.trust_dir),
      cache_(dir_.blob_cache()),
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

bool signed_by_root_key(const tuf::Metadata<tuf::Root>& root, const std::string& keyid) {
  const tuf::Root& r = root.signed_part();
  auto role = r.roles.find(std::string(tuf::kRoot));
  if (role == r.roles.end()) return false;
  const auto& ids = role->second.keyids;
  if (std::find(ids.begin(), ids.end(), keyid) == ids.end()) return false;
  auto key = r.keys.find(keyid);
  if (key == r.keys.end()) return false;
  auto computed = crypto::key_id_of(key->second);
  if (!computed || *computed != keyid) return false;  // another key under the pinned ID
  auto message = root.signed_bytes();
  return message && tuf::count_valid_signatures(r.keys, {keyid}, root.signatures(), *message,
                                                root.dialect()) == 1;
}

namespace {

// N.root.json as a candidate trusted root: it says version N, lists its keys under their
// computed IDs and meets its own root threshold.
Result<tuf::Metadata<tuf::Root>> candidate_root(std::string_view bytes, const std::string& name,
                                                std::int64_t version, const std::string& where) {
  TRY_ASSIGN(auto root, tuf::Metadata<tuf::Root>::from_bytes(bytes));
  const tuf::Root& r = root.signed_part();
  if (r.version != version)
    return Error(ErrorCode::kVerification,
                 name + " in " + where + " says it is version " + std::to_string(r.version));
  TRY(tuf::check_key_ids(r.keys, name + " in " + where));
  if (auto st = root.verify_delegate(std::string(tuf::kRoot), root); !st)
    return st.error().wrap(name + " in " + where + " is not signed by its own root keys");
  auto role = r.roles.find(std::string(tuf::kRoot));
  if (role == r.roles.end() || role->second.keyids.empty())
    return Error(ErrorCode::kVerification, name + " in " + where + " lists no root key");
  return root;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

Status establish_root(tuf::MetadataSource& source, const registry::Reference& ref,
                      const TrustOptions& options, const std::string& where) {
  const TrustDir dir(options.trust_dir);
  TRY_ASSIGN(auto pin, dir.pin_of(ref));
  const tuf::Limits limits;
  std::optional<Error> first_problem;
  for (std::int64_t version = 1; version <= limits.max_root_rotations + 1; ++version) {
    const std::string name = std::to_string(version) + ".root.json";
    auto bytes = source.fetch(name, limits.root_max_length);
    if (!bytes) {
      if (bytes.error().code() == ErrorCode::kNotFound) break;
      return bytes.error();
    }
    auto root = candidate_root(*bytes, name, version, where);
    if (!root) {
      if (!pin) return root.error();  // first use trusts 1.root.json or nothing
      if (!first_problem) first_problem = root.error();
      continue;  // a pin is satisfied only by a root the pinned key signed; look further
    }
    // The keys shown are those whose signatures over this root verified (the ones that vouch for
    // it), under IDs computed from their material (candidate_root checked every listed ID).
    std::vector<std::string> keyids;
    for (const auto& k : root->signed_part().roles.at(std::string(tuf::kRoot)).keyids)
      if (signed_by_root_key(*root, k)) keyids.push_back(k);
    RootOrigin origin = RootOrigin::kTofu;
    if (pin) {
      bool signed_by_pin = false;
      for (const auto& k : pin->keyids)
        signed_by_pin = signed_by_pin || signed_by_root_key(*root, k);
      if (!signed_by_pin) continue;
      origin = RootOrigin::kPinned;
    } else if (!options.allow_tofu) {
      return Error(ErrorCode::kVerification,
                   "the root of " + ref.name() + " is not trusted yet (signed by root key " +
                       join_ids(keyids) +
                       "). Check the fingerprint with its owner, then run: trustctl trust pin " +
                       ref.name() + " --fingerprint " + keyids.front() +
                       "  (or pass --tofu to trust it on first use)");
    }
    TRY(check_repository_binding(root->signed_part(), ref, options.repository_alias, where));
    TRY_ASSIGN(auto metadata_dir, dir.metadata_dir(ref, true));
    TRY(fs::write_file_atomic(metadata_dir + "/root.json", *bytes, 0600));
    TRY(dir.set_root_origin(ref, origin));
    if (origin == RootOrigin::kTofu && options.notice) {
      options.notice("trusting the root of " + ref.name() + " on first use: signed by root key " +
                     join_ids(keyids));
    }
    return {};
  }
  if (pin) {
    std::string message = "no root in " + where + " is signed by the pinned root key(s) " +
                          join_ids(pin->keyids) + " of " + ref.name();
    if (first_problem) message += " (" + first_problem->message() + ")";
    return Error(ErrorCode::kVerification, message);
  }
  return Error(ErrorCode::kVerification, where + " has no 1.root.json");
}

Result<ContentTrust::Loaded> ContentTrust::load(const StoreState& state, TrustedView* view) {
  auto source = std::make_unique<StoreSource>(store_, state);
  TRY_ASSIGN(bool trusted, dir_.has_trusted_root(ref_));
  if (!trusted) TRY(establish_root(*source, ref_, options_, ref_.name()));
  tuf::UpdaterConfig config;
  TRY_ASSIGN(config.metadata_dir, dir_.metadata_dir(ref_));
  config.source = source.get();
  config.clock = [this] { return now(); };
  config.key_ids = tuf::KeyIds::kComputed;
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
    view->origin = dir_.root_origin(ref_);
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
  TRY_ASSIGN(const bool seen, dir_.has_trusted_root(ref_));
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

Result<SignedTag> ContentTrust::verify_tag(const std::string& tag, const std::string& digest,
                                           TrustedView* view_out) {
  TRY_ASSIGN(auto view, refresh());
  TRY_ASSIGN(auto signed_tag, find_signed_tag(view, tag, ref_.name(), "", digest));
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
  view.checks.push_back({"manifest", true,
                         digest + ", " + std::to_string(matches.front().length) +
                             " bytes, fetched by digest and hashed"});
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
  // This trust dir made the root: it is trusted, and so is the state it published (verified
  // once more and saved as the rollback reference), which it vouches for as its publisher.
  TRY_ASSIGN(auto metadata_dir, dir_.metadata_dir(ref_, true));
  TRY(fs::write_file_atomic(metadata_dir + "/root.json", root_bytes, 0600));
  TRY(dir_.set_root_origin(ref_, RootOrigin::kCreated));
  TRY(load(*published, nullptr));
  TRY(dir_.set_publisher_anchor(ref_, 1));
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
    // The keys first (a trust dir without them cannot publish at all), then whether this trust
    // dir vouches for the state it is about to re-sign; only then are keys unlocked.
    for (const char* role : {"targets", "snapshot", "timestamp"}) {
      if (std::string_view(role) == "targets" && !plan.targets) continue;
      if (!holds_role_key(root, role)) return role_key(root, role).error();
    }
    TRY(check_vouched(*ts));

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
    for (const auto& [signer, withdrawn] : plan.withdraw)
      detail::record_withdrawal(snapshot.mutate(), signer, {withdrawn.first, withdrawn.second});
    std::vector<std::string> signers;
    if (tg.delegations)
      for (const auto& r : tg.delegations->roles) signers.push_back(r.name);
    detail::prune_withdrawals(snapshot.mutate(), signers);
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
  std::int64_t confirmed_timestamp = 0;
  auto confirm = [&](const StoreState& latest) -> Result<bool> {
    TrustedView view;
    TRY_ASSIGN(auto loaded, load(latest, &view));
    confirmed_timestamp = loaded.updater.trusted_set()->timestamp()->signed_part().version;
    return present(view);
  };
  TRY_ASSIGN(auto published, truststore::publish(store_, build, confirm, options_.publish));
  // What this trust dir published (or a later state containing it) is saved as its trusted
  // state: from now on it vouches for it, and never re-signs anything older.
  TRY(dir_.set_publisher_anchor(ref_, confirmed_timestamp));
  return published;
}

Status ContentTrust::check_vouched(const tuf::TrustedSet& current) const {
  if (dir_.publisher_anchor(ref_)) return {};
  const auto& ts = current.timestamp()->signed_part();
  if (options_.accept_state && *options_.accept_state == ts.version) return {};
  const auto& tg = current.targets()->signed_part();
  std::string shown = "timestamp version " + std::to_string(ts.version) + " (expire" +
                      (ts.expires <= now() ? "d " : "s ") + tuf::format_expires(ts.expires) +
                      "; targets version " + std::to_string(tg.version) + ", " +
                      std::to_string(tg.targets.size()) + " tag(s) signed by the repository key)";
  std::string why = options_.accept_state
                        ? "--accept-state " + std::to_string(*options_.accept_state) +
                              " does not match: the registry shows " + shown
                        : "this trust dir has never published " + ref_.name() +
                              " and vouches for none of its states, and the registry shows " +
                              shown;
  return Error(ErrorCode::kFreshness,
               "refusing to re-sign the trust data of " + ref_.name() + ": " + why +
                   ". A registry pusher can show an older state that is still validly signed; "
                   "re-signing it would bring back what was revoked since. Keep this trust dir "
                   "between runs (docs/operations.md), or, if that version is the latest one "
                   "published (check 'trustctl repo status " +
                   ref_.name() +
                   "' where it was published, or your records), run again with "
                   "--accept-state " +
                   std::to_string(ts.version));
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
    TRY_ASSIGN(bool seen, dir_.has_trusted_root(ref_));
    if (seen) {
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

Result<bool> pin_root(const TrustDir& dir, const registry::Reference& repository,
                      const std::string& keyid) {
  TRY_ASSIGN(auto pins, dir.pins());
  pins.erase(std::remove_if(pins.begin(), pins.end(),
                            [&](const Pin& p) { return p.repository == repository.name(); }),
             pins.end());
  pins.push_back({repository.name(), {keyid}});
  TRY(dir.save_pins(pins));
  TRY_ASSIGN(bool trusted, dir.has_trusted_root(repository));
  if (!trusted) return false;
  if (dir.root_origin(repository) == RootOrigin::kCreated) return false;
  // The state stays when the pinned key signed the root it rests on: pinning the key that is
  // already trusted keeps the rollback protection.
  TRY_ASSIGN(auto metadata_dir, dir.metadata_dir(repository));
  auto bytes = fs::read_file(metadata_dir + "/root.json");
  if (bytes) {
    auto root = tuf::Metadata<tuf::Root>::from_bytes(*bytes);
    if (root && signed_by_root_key(*root, keyid)) {
      TRY(dir.set_root_origin(repository, RootOrigin::kPinned));
      return false;
    }
  }
  return dir.forget(repository);
}

Result<bool> unpin_root(const TrustDir& dir, const registry::Reference& repository) {
  TRY_ASSIGN(auto pins, dir.pins());
  const auto before = pins.size();
  pins.erase(std::remove_if(pins.begin(), pins.end(),
                            [&](const Pin& p) { return p.repository == repository.name(); }),
             pins.end());
  if (pins.size() == before)
    return Error(ErrorCode::kNotFound, repository.name() + " is not pinned");
  TRY(dir.save_pins(pins));
  TRY_ASSIGN(bool trusted, dir.has_trusted_root(repository));
  if (!trusted || dir.root_origin(repository) == RootOrigin::kCreated) return false;
  return dir.forget(repository);
}

}  // namespace trustctl::trust
