// The read side of content trust (docs/architecture.md): establishes a repository's root
// (created, pinned, or first use), runs the TUF client over a source of metadata with the trust
// dir's saved state as rollback reference, checks the repository binding, and describes what the
// verified state trusts. Online verify, offline verify, export, inspect, status and every
// publication go through it; nothing else walks roots.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/reference.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/trust/view.h"
#include "trustctl/tuf/metadata.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

struct VerifyOptions {
  std::function<std::int64_t()> clock;  // unix seconds; default: the system clock
  bool allow_tofu = false;              // --tofu, TRUSTCTL_TOFU=1, or an interactive terminal
  // Expiry warnings for roles that expire sooner than this (seconds).
  std::int64_t expiry_warning = 7 * 86400;
  // Accept metadata whose root names this repository path instead of the reference's own
  // (an explicitly mapped mirror).
  std::string repository_alias;
  std::function<void(const std::string&)> notice;  // progress and warnings (stderr)
  // Root key IDs that act as a pin when the trust dir has none for the repository (an admission
  // policy's `roots`); a root established through them is recorded as RootOrigin::kPolicy.
  std::vector<std::string> policy_roots;
};

enum class ExpiryPolicy {
  kEnforce,  // every role must be unexpired now
  // A publication re-signs snapshot and timestamp, so their expiry is not held against it: the
  // state is verified as of just before the earlier of the two expired. Every signature,
  // version and hash is still checked, and targets and signers must be unexpired then.
  kRenewal,
};

// A verified state: the updater that holds it (for delegated lookups) and what it trusts.
struct Verified {
  std::shared_ptr<tuf::MetadataSource> source;
  std::unique_ptr<tuf::Updater> updater;
  TrustedView view;
  std::int64_t verified_at = 0;  // the reference time of the expiry checks

  const tuf::TrustedSet& trusted() const { return *updater->trusted_set(); }
  const tuf::Root& root() const { return trusted().root().signed_part(); }
  std::int64_t timestamp_version() const;
};

class Verifier {
 public:
  Verifier(TrustDir dir, registry::Reference repository, VerifyOptions options);

  const TrustDir& dir() const { return dir_; }
  const registry::Reference& repository() const { return ref_; }  // without tag or digest
  const VerifyOptions& options() const { return options_; }
  std::int64_t now() const;

  // Verifies the metadata `source` serves (see the file comment). `where` names the source in
  // messages ("registry/repo", "the export in DIR"); `renew_hint` is the command that renews
  // expired metadata. kVerification for an unknown root (without a pin or first use), a wrong
  // repository or bad signatures; kExpired / kFreshness for expiry, rollback or freeze.
  Result<Verified> verify(std::shared_ptr<tuf::MetadataSource> source, const std::string& where,
                          const std::string& renew_hint,
                          ExpiryPolicy policy = ExpiryPolicy::kEnforce) const;

 private:
  Result<Verified> verify_at(std::shared_ptr<tuf::MetadataSource> source, const std::string& where,
                             const std::string& renew_hint, std::int64_t at) const;

  TrustDir dir_;
  registry::Reference ref_;
  VerifyOptions options_;
};

// The root must name the repository path (or `alias`) it speaks for; kVerification naming
// `where` otherwise.
Status check_repository_binding(const tuf::Root& root, const registry::Reference& repository,
                                const std::string& alias, const std::string& where);

// Whether `root` lists key `keyid` in its root role, under its computed ID, and carries a valid
// signature by it (a pin counts only for a root its key signed).
bool signed_by_root_key(const tuf::Metadata<tuf::Root>& root, const std::string& keyid);

// Establishes the trusted root of `repository` from `source` when the trust dir has none: with a
// pin, the earliest root version N.root.json (N = 1, 2, ... at most max_root_rotations + 1) that
// says version N, lists its keys under their computed IDs, meets its own root threshold, lists a
// pinned key in its root role AND carries a valid signature by that pinned key; otherwise
// 1.root.json on first use, only when options.allow_tofu. The root must name the repository.
// Writes the trusted root and its origin into the trust dir. kVerification otherwise.
Status establish_root(tuf::MetadataSource& source, const TrustDir& dir,
                      const registry::Reference& repository, const VerifyOptions& options,
                      const std::string& where);

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
