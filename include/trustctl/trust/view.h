// What a verified state of a repository's trust data says: its roles, signers, signed tags and
// the checks that passed (docs/architecture.md). Built by the Verifier, read by every command.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/trust/trust_dir.h"
#include "trustctl/tuf/metadata.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

// The field of root's signed part that names the repository path the metadata speaks for.
inline constexpr std::string_view kRepositoryField = "x-trustctl-repository";

// A target's signed manifest digest ("sha256:<hex>", empty without one) and its media type
// (custom.mediaType, empty without one).
std::string sha256_of(const tuf::TargetFile& target);
std::string media_type_of(const tuf::TargetFile& target);
// The target that signs a manifest of `length` bytes with `digest` and `media_type`.
tuf::TargetFile target_of(const std::string& digest, std::int64_t length,
                          const std::string& media_type);

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
  std::vector<PendingVersion> pending;  // (store views only)
  // Tags that a signer whose metadata failed verification claims: why they are not trusted.
  std::map<std::string, Error> tag_errors;
  // Why signers' metadata failed verification: a tag found nowhere may have been theirs, so
  // verify reports this rather than "not signed".
  std::vector<Error> signer_errors;
  RootOrigin origin = RootOrigin::kTofu;
  std::vector<Check> checks;
  std::vector<std::string> warnings;  // e.g. timestamp expiring soon

  const RoleInfo* role(std::string_view name) const;
  const SignerInfo* signer(std::string_view name) const;
  const SignedTag* tag(std::string_view name) const;
};

// Describes what a refreshed updater trusts: roles, signers and every signed tag, resolved
// through the delegations as a TUF client resolves it (get_targetinfo). A signer whose metadata
// fails verification gets `error` set and a warning; the tags only it lists go to tag_errors.
// `renew_hint` completes the expiry warnings ("trustctl repo refresh REPO").
void describe_trusted(tuf::Updater& updater, std::int64_t now, std::int64_t expiry_warning,
                      const std::string& repository_name, const std::string& renew_hint,
                      TrustedView& view);

// The trusted binding of `tag` in a view, online and offline alike. `reference` names it in
// messages ("registry/repo:tag", or "registry/repo:tag in DIR"). kNoTrustData when no
// trusted role signs it (naming a signer's version that waits to sign it); the failure of a
// signer whose metadata did not verify when the tag may have been its; kVerification for a
// target without sha256, or, when `digest` is given (REF:TAG@DIGEST), for a tag signed for
// another digest.
Result<SignedTag> find_signed_tag(const TrustedView& view, const std::string& tag,
                                  const std::string& reference, const std::string& digest = "");
// Every signed tag that maps to `digest`; kNoTrustData naming `where` ("registry/repo", or
// "registry/repo in DIR") when none.
Result<std::vector<SignedTag>> find_signed_digest(const TrustedView& view,
                                                  const std::string& digest,
                                                  const std::string& where);

}  // namespace trustctl::trust
