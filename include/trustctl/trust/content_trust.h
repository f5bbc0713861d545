// Content trust for one repository on a plain registry: TUF metadata kept in the repository's
// trust store (truststore::OciTrustStore), verified with the TUF updater against the trusted
// state in the trust dir, and published with detect-and-repair. See docs/storage-format.md and
// docs/security-model.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/registry/client.h"
#include "trustctl/registry/reference.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/truststore/oci_store.h"
#include "trustctl/tuf/metadata.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

// The field of root's signed part that names the repository path the metadata speaks for.
inline constexpr std::string_view kRepositoryField = "x-trustctl-repository";

// A target's signed manifest digest ("sha256:<hex>", empty without one) and its media type
// (custom.mediaType, empty without one).
std::string sha256_of(const tuf::TargetFile& target);
std::string media_type_of(const tuf::TargetFile& target);

struct Lifetimes {  // seconds; Notary's defaults
  std::int64_t root = 10LL * 365 * 86400;
  std::int64_t targets = 3LL * 365 * 86400;
  std::int64_t snapshot = 3LL * 365 * 86400;
  std::int64_t timestamp = 14LL * 86400;
};

struct TrustOptions {
  std::string trust_dir;
  std::function<std::int64_t()> clock;  // unix seconds; default: the system clock
  bool allow_tofu = false;              // --tofu, TRUSTCTL_TOFU=1, or an interactive terminal
  // verify warns when a role expires sooner than this (seconds).
  std::int64_t expiry_warning = 7 * 86400;
  // Accept metadata whose root names this repository path instead of the reference's own
  // (an explicitly mapped mirror).
  std::string repository_alias;
  Lifetimes lifetimes;
  crypto::KeyType key_type = crypto::KeyType::kEcdsaP256;
  truststore::PublishOptions publish;
  // A publisher that vouches for no state of the repository (it never published it, e.g. a CI
  // job on a cache miss) re-signs the registry's state only when it has exactly this timestamp
  // version, as an operator checked (--accept-state; docs/operations.md).
  std::optional<std::int64_t> accept_state;
  std::function<void(const std::string&)> notice;  // progress and warnings (stderr)
};

struct SignedTag {
  std::string tag;
  std::string digest;  // "sha256:<hex>"
  std::int64_t length = 0;
  std::string media_type;
  std::vector<std::string> signers;  // roles whose metadata lists the tag ("targets", ...)
};

// One check of a verification and its outcome, for `verify -o json`.
struct Check {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct RoleInfo {
  std::string name;
  std::vector<std::string> keyids;
  std::int64_t threshold = 1;
  std::int64_t version = 0;
  std::int64_t expires = 0;
};

// A named signer: a role delegated by the top-level targets (docs/signers.md).
struct SignerInfo {
  std::string name;
  std::vector<std::string> keyids;
  std::int64_t threshold = 1;
  std::int64_t version = 0;  // 0: nothing published by this signer yet
  std::int64_t expires = 0;
  std::string error;  // why its metadata is not trusted (then none of its tags count)
};

// A signer's next version waiting in the trust data for more signatures (or for a publisher).
struct PendingVersion {
  std::string signer;
  std::int64_t version = 0;
  std::map<std::string, std::string> adds;  // tag -> digest
  std::vector<std::string> removes;         // tags
  std::vector<std::string> signed_by;       // key IDs whose signatures verify
  std::vector<std::string> waiting_for;     // the signer's other key IDs
  std::int64_t threshold = 1;
  bool ready() const { return static_cast<std::int64_t>(signed_by.size()) >= threshold; }
};

// The repository's trust data after a successful TUF refresh.
struct TrustedView {
  std::vector<SignedTag> tags;          // sorted by tag
  std::vector<RoleInfo> roles;          // root, targets, snapshot, timestamp
  std::vector<SignerInfo> signers;      // delegated roles, in priority order
  std::vector<PendingVersion> pending;  // (online views only)
  // Tags that a signer whose metadata failed verification claims: why they are not trusted.
  std::map<std::string, Error> tag_errors;
  // Why signers' metadata failed verification: a tag found nowhere may have been theirs, so
  // verify reports this rather than "not signed".
  std::vector<Error> signer_errors;
  RootOrigin origin = RootOrigin::kTofu;
  std::vector<Check> checks;
  std::vector<std::string> warnings;  // e.g. timestamp expiring soon
};

// Describes what a refreshed updater trusts: roles, signers and every signed tag, resolved
// through the delegations as a TUF client resolves it (get_targetinfo). A signer whose metadata
// fails verification gets `error` set and a warning; the tags only it lists go to tag_errors.
// `renew_hint` completes the expiry warnings ("trustctl repo refresh REPO").
void describe_trusted(tuf::Updater& updater, std::int64_t now, std::int64_t expiry_warning,
                      const std::string& repository_name, const std::string& renew_hint,
                      TrustedView& view);

// The trusted binding of `tag` in a view, online and offline alike. Messages name the
// repository and, when not empty, the source (an export folder). kNoTrustData when no trusted role
// signs it (naming a signer's version that waits to sign it); the failure of a signer whose
// metadata did not verify when the tag may have been its; kVerification for a target without
// sha256, or, when `digest` is given (REF:TAG@DIGEST), for a tag signed for another digest.
Result<SignedTag> find_signed_tag(const TrustedView& view, const std::string& tag,
                                  const std::string& repository, const std::string& source = "",
                                  const std::string& digest = "");
// Every signed tag that maps to `digest`; kNoTrustData when none.
Result<std::vector<SignedTag>> find_signed_digest(const TrustedView& view,
                                                  const std::string& digest,
                                                  const std::string& repository,
                                                  const std::string& source = "");

struct TagRequest {
  std::string tag;
  std::string digest;  // empty: the tag's current digest in the registry
};

class ContentTrust {
 public:
  ContentTrust(registry::RegistryClient& client, registry::Reference repository,
               keystore::KeyStore* keys, TrustOptions options);

  // The TUF client workflow against the store. kNoTrustData when the repository was never
  // signed; kFreshness when trust data seen before is gone; kVerification for an unknown root
  // (without a pin or TOFU), wrong repository, bad signatures; kFreshness for expiry/rollback.
  Result<TrustedView> refresh();

  // verify REF:TAG (or REF:TAG@DIGEST, when `digest` is set: TAG's signed digest must be it,
  // kVerification otherwise): the signed target, then the manifest fetched by digest and checked
  // against the signed length and sha256. kNoTrustData when the tag is not signed.
  Result<SignedTag> verify_tag(const std::string& tag, const std::string& digest = "",
                               TrustedView* view = nullptr);
  // verify REF@DIGEST: every signed tag that maps to it (kNoTrustData when none).
  Result<std::vector<SignedTag>> verify_digest(const std::string& digest,
                                               TrustedView* view = nullptr);

  // repo init: new root, targets, snapshot and timestamp keys in the key store and the first
  // metadata, published. kUsage when the repository already has trust data.
  Status init();
  // sign: adds or updates targets for the tags (their current or given digests) in one
  // publish. Without trust data: initialises first when `init_if_missing`, else kNoTrustData.
  Result<std::vector<SignedTag>> sign(const std::vector<TagRequest>& requests,
                                      bool init_if_missing);
  // repo refresh: re-signs snapshot and timestamp with new versions and expiries (a cron job's
  // duty: nothing else renews the timestamp). Returns the refreshed view.
  Result<TrustedView> renew();
  // repo repair: republishes the last state this trust dir verified and vouches for (its saved
  // metadata), with new snapshot and timestamp versions above any the registry holds, dropping
  // everything else in the registry's trust data: root versions above the trusted one, waiting
  // versions, files nobody lists. For trust data a pusher made unverifiable (docs/operations.md).
  // Needs the snapshot and timestamp keys; the root chain up to the trusted root must still be
  // in the registry. Returns the repaired view and, in `dropped`, the files left out.
  Result<TrustedView> repair(std::vector<std::string>* dropped = nullptr);
  // revoke: removes the tags' targets (all of them when `tags` is empty and `all`).
  Result<std::vector<std::string>> revoke(const std::vector<std::string>& tags, bool all);

  // signer add: delegates signer `name` (created, or keys added) with `threshold` (unchanged
  // when not given; 1 for a new signer). Needs the targets key. Returns the signer as published.
  Result<SignerInfo> add_signer(const std::string& name, const std::vector<crypto::PublicKey>& keys,
                                std::optional<std::int64_t> threshold);
  // signer remove: the whole signer, or only `keyids` of it. Needs the targets key.
  Status remove_signer(const std::string& name, const std::vector<std::string>& keyids);

  // sign --signer / revoke --signer: proposes the signer's next version (tags added, or removed
  // when `revoke`), or co-signs the pending proposal that makes exactly this change, with the
  // signer's keys this trust dir holds. The version is published once `threshold` signatures
  // verify and this trust dir holds the snapshot and timestamp keys; until then it waits in the
  // trust data (`repo refresh` publishes ready versions). `replace` drops a pending proposal
  // that makes another change.
  struct SignerOutcome {
    std::vector<SignedTag> tags;  // (sign) what was signed
    PendingVersion version;       // the version and its signatures
    bool published = false;
  };
  Result<SignerOutcome> sign_as(const std::string& signer, const std::vector<TagRequest>& requests,
                                bool revoke, bool replace);

  // repo rotate: a new key for `role` (generated, or `key_file` imported). For root: the new
  // root is signed by the old and the new root keys and the old key no longer counts; for the
  // other roles root gets a new version (signed by the root key) and the role is re-signed by
  // its new key. Returns the new key's ID.
  Result<std::string> rotate(const std::string& role, const std::string& key_file);

 private:
  struct Loaded;
  Result<Loaded> load(const truststore::StoreState& state, TrustedView* view);
  Result<Loaded> load_for_renewal(const truststore::StoreState& state);
  Result<TrustedView> refresh_state(std::optional<truststore::StoreState>* state_out);
  Result<crypto::PrivateKey> role_key(const tuf::Root& root, const std::string& role);
  bool holds_role_key(const tuf::Root& root, const std::string& role) const;
  // The manifests the tags name now (or the given digests), read and measured for signing.
  Result<std::vector<SignedTag>> resolve_tags(const std::vector<TagRequest>& requests);
  // What one publication changes, built against the current (verified) state.
  struct Plan {
    std::optional<tuf::Metadata<tuf::Root>> root;        // a new root version, signed
    std::optional<tuf::Metadata<tuf::Targets>> targets;  // changed top-level targets (unsigned)
    std::map<std::string, std::string> delegated;        // signer -> new signed version
    std::map<std::string, std::optional<std::string>> pending;  // signer -> proposal (or drop)
    // signer -> (version, sha256 of the signed part) of a fully signed proposal withdrawn now,
    // recorded in the snapshot (src/trust/withdrawals.h)
    std::map<std::string, std::pair<std::int64_t, std::string>> withdraw;
    bool resign = true;  // new snapshot and timestamp (false: only proposals change)
  };
  using Planner = std::function<Result<Plan>(const truststore::StoreState&, tuf::Updater&)>;
  // Publishes the plan: carries every root, the signers' versions the snapshot lists and the
  // other proposals over; signs targets, snapshot and timestamp as needed. The current state is
  // checked as for a renewal (an expired timestamp or snapshot does not stop a publication,
  // which re-signs both).
  Result<truststore::StoreState> publish_plan(
      const Planner& planner, const std::function<Result<bool>(const TrustedView&)>& present);
  // Publishes new snapshot and timestamp, and new targets when `change` is set.
  Result<truststore::StoreState> publish_change(
      const std::function<Status(tuf::Targets&)>& change,
      const std::function<Result<bool>(const TrustedView&)>& present);
  // The proposals waiting in `state`, checked against the trusted signers.
  std::vector<PendingVersion> read_pending(const truststore::StoreState& state,
                                           tuf::Updater& updater, TrustedView* view);
  std::int64_t now() const;
  // The state a publication builds on must be one this trust dir vouches for (its anchor), or
  // the one an operator accepted; kFreshness naming --accept-state otherwise.
  Status check_vouched(const tuf::TrustedSet& current) const;

  registry::RegistryClient& client_;
  registry::Reference ref_;
  keystore::KeyStore* keys_;
  TrustOptions options_;
  TrustDir dir_;
  truststore::BlobCache cache_;
  truststore::OciTrustStore store_;
  std::optional<std::int64_t> clock_override_;  // only while checking state for a renewal
};

// Shared by online and offline verification (`where` names the source in messages):
// Establishes the trusted root of `repository` from `source` when the trust dir has none: with a
// pin, the earliest root version N.root.json (N = 1, 2, ... at most max_root_rotations + 1) that
// says version N, lists its keys under their computed IDs, meets its own root threshold, lists a
// pinned key in its root role AND carries a valid signature by that pinned key; otherwise
// 1.root.json on first use, only when options.allow_tofu. The root must name the repository.
// Writes the trusted root and its origin into the trust dir. kVerification otherwise.
Status establish_root(tuf::MetadataSource& source, const registry::Reference& repository,
                      const TrustOptions& options, const std::string& where);

// Whether `root` lists key `keyid` in its root role, under its computed ID, and carries a valid
// signature by it (a pin counts only for a root its key signed).
bool signed_by_root_key(const tuf::Metadata<tuf::Root>& root, const std::string& keyid);
// The root must name the repository path (or options' alias) it speaks for.
Status check_repository_binding(const tuf::Root& root, const registry::Reference& repository,
                                const std::string& alias, const std::string& where);

// `trust pin`: pins the repository's root to `keyid` and decides about the state this trust dir
// already has. A root this trust dir created stays. A saved trusted root that the pinned key
// signed stays too, with its rollback state (re-pinning the key already trusted), now as pinned.
// Any other saved state of the repository is forgotten, so the pin decides from the chain.
// Returns whether state was forgotten.
Result<bool> pin_root(const TrustDir& dir, const registry::Reference& repository,
                      const std::string& keyid);
// `trust unpin`: removes the pin and forgets the state it vouched for (not a created root).
// kNotFound when the repository is not pinned. Returns whether state was forgotten.
Result<bool> unpin_root(const TrustDir& dir, const registry::Reference& repository);

}  // namespace trustctl::trust
