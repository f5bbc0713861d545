// Root bootstrap and the verified refresh: the Verifier (docs/security-model.md, "How a root
// comes to be trusted").
#include "trustctl/trust/verifier.h"

#include <algorithm>
#include <ctime>

#include "trustctl/core/fs.h"
#include "trustctl/crypto/keys.h"

namespace trustctl::trust {

std::int64_t Verified::timestamp_version() const {
  return trusted().timestamp()->signed_part().version;
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
  return message && tuf::count_valid_signatures(r.keys, {keyid}, root.signatures(), *message) == 1;
}

namespace {

// N.root.json as a candidate trusted root: it says version N, lists its keys under their
// computed IDs and meets its own root threshold.
Result<tuf::Metadata<tuf::Root>> candidate_root(std::string_view bytes, const std::string& name,
                                                std::int64_t version, const std::string& where) {
  TRUSTCTL_TRY_ASSIGN(auto root, tuf::Metadata<tuf::Root>::from_bytes(bytes));
  const tuf::Root& r = root.signed_part();
  if (r.version != version)
    return Error(ErrorCode::kVerification,
                 name + " in " + where + " says it is version " + std::to_string(r.version));
  TRUSTCTL_TRY(tuf::check_key_ids(r.keys, name + " in " + where));
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

Status establish_root(tuf::MetadataSource& source, const TrustDir& dir,
                      const registry::Reference& ref, const VerifyOptions& options,
                      const std::string& where) {
  TRUSTCTL_TRY_ASSIGN(auto pin, dir.pin_of(ref));
  const bool by_policy = !pin && !options.policy_roots.empty();
  if (by_policy) pin = Pin{ref.name(), options.policy_roots};
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
      origin = by_policy ? RootOrigin::kPolicy : RootOrigin::kPinned;
    } else if (!options.allow_tofu) {
      return Error(ErrorCode::kVerification,
                   "the root of " + ref.name() + " is not trusted yet (signed by root key " +
                       join_ids(keyids) +
                       "). Check the fingerprint with its owner, then run: trustctl trust pin " +
                       ref.name() + " --fingerprint " + keyids.front() +
                       "  (or pass --tofu to trust it on first use)");
    }
    TRUSTCTL_TRY(
        check_repository_binding(root->signed_part(), ref, options.repository_alias, where));
    TRUSTCTL_TRY_ASSIGN(auto metadata_dir, dir.metadata_dir(ref, true));
    TRUSTCTL_TRY(fs::write_file_atomic(metadata_dir + "/root.json", *bytes, 0600));
    TRUSTCTL_TRY(dir.set_root_origin(ref, origin));
    if (origin == RootOrigin::kTofu && options.notice) {
      options.notice("trusting the root of " + ref.name() + " on first use: signed by root key " +
                     join_ids(keyids));
    }
    return {};
  }
  if (pin) {
    std::string message = "no root in " + where + " is signed by the " +
                          std::string(by_policy ? "policy's" : "pinned") + " root key(s) " +
                          join_ids(pin->keyids) + " of " + ref.name();
    if (first_problem) message += " (" + first_problem->message() + ")";
    return Error(ErrorCode::kVerification, message);
  }
  return Error(ErrorCode::kVerification, where + " has no 1.root.json");
}

namespace {

// The earlier expiry of the timestamp and the snapshot it lists, read without verification:
// only the reference time of a renewal comes from it, every check still runs.
std::optional<std::int64_t> earliest_online_expiry(tuf::MetadataSource& source) {
  const tuf::Limits limits;
  auto ts_bytes = source.fetch("timestamp.json", limits.timestamp_max_length);
  if (!ts_bytes) return std::nullopt;
  auto ts = tuf::Metadata<tuf::Timestamp>::from_bytes(*ts_bytes);
  if (!ts) return std::nullopt;
  std::int64_t earliest = ts->signed_part().expires;
  const std::string name =
      std::to_string(ts->signed_part().snapshot_meta.version) + ".snapshot.json";
  if (auto sn_bytes = source.fetch(name, limits.snapshot_max_length)) {
    if (auto sn = tuf::Metadata<tuf::Snapshot>::from_bytes(*sn_bytes))
      earliest = std::min(earliest, sn->signed_part().expires);
  }
  return earliest;
}

}  // namespace

Verifier::Verifier(TrustDir dir, registry::Reference repository, VerifyOptions options)
    : dir_(std::move(dir)), ref_(std::move(repository)), options_(std::move(options)) {
  ref_.tag.clear();
  ref_.digest.clear();
}

std::int64_t Verifier::now() const {
  return options_.clock ? options_.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

Result<Verified> Verifier::verify(std::shared_ptr<tuf::MetadataSource> source,
                                  const std::string& where, const std::string& renew_hint,
                                  ExpiryPolicy policy) const {
  const std::int64_t t = now();
  auto verified = verify_at(source, where, renew_hint, t);
  if (verified || policy != ExpiryPolicy::kRenewal ||
      verified.error().code() != ErrorCode::kExpired)
    return verified;
  // Renewing is how an expired timestamp or snapshot gets fixed (see ExpiryPolicy::kRenewal).
  auto earliest = earliest_online_expiry(*source);
  if (!earliest || *earliest - 1 >= t) return verified;
  return verify_at(source, where, renew_hint, *earliest - 1);
}

Result<Verified> Verifier::verify_at(std::shared_ptr<tuf::MetadataSource> source,
                                     const std::string& where, const std::string& renew_hint,
                                     std::int64_t at) const {
  TRUSTCTL_TRY_ASSIGN(bool trusted, dir_.has_trusted_root(ref_));
  if (!trusted) TRUSTCTL_TRY(establish_root(*source, dir_, ref_, options_, where));
  tuf::UpdaterConfig config;
  TRUSTCTL_TRY_ASSIGN(config.metadata_dir, dir_.metadata_dir(ref_));
  config.source = source.get();
  config.clock = [at] { return at; };
  config.key_ids = tuf::KeyIds::kComputed;
  Verified verified{source, std::make_unique<tuf::Updater>(config), {}, at};
  if (auto st = verified.updater->refresh(); !st) {
    if (st.error().code() == ErrorCode::kExpired)
      return st.error().wrap("trust data of " + where + " (the publisher must run: " + renew_hint +
                             ")");
    return st.error().wrap("trust data of " + where);
  }
  const tuf::Root& root = verified.root();
  TRUSTCTL_TRY(check_repository_binding(root, ref_, options_.repository_alias, where));
  TrustedView& view = verified.view;
  view.origin = dir_.root_origin(ref_);
  view.checks.push_back({"root", true,
                         "version " + std::to_string(root.version) + " (" +
                             std::string(root_origin_name(view.origin)) + ")"});
  view.checks.push_back(
      {"repository binding", true,
       options_.repository_alias.empty() ? ref_.repository : options_.repository_alias});
  describe_trusted(*verified.updater, at, options_.expiry_warning, ref_.name(), renew_hint, view);
  return verified;
}

}  // namespace trustctl::trust
