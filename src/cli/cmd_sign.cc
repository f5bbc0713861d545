// trustctl sign and trustctl revoke: the publishing verbs (and --signer for named signers).
#include "registry_access.h"
#include "render/emit.h"
#include "render/publish.h"
#include "trust_access.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/registry/digest.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {
namespace {

// sign --signer / revoke --signer: one signature of a signer's next version; published when
// its threshold is met, else it waits in the trust data (exit 0 either way).
Status as_signer(Context& ctx, TrustAccess& access, const std::vector<trust::TagRequest>& requests,
                 bool revoke) {
  const std::string signer = *ctx.value("signer");
  TRUSTCTL_TRY_ASSIGN(auto outcome, trust::sign_as(*access.publisher, *access.manifests, signer,
                                                   requests, revoke, ctx.has("replace-pending")));
  emit(ctx, SignerVersionReport{access.ref.name(), signer, revoke, std::move(outcome)});
  return {};
}

Status sign(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto refs, parse_references(ctx.args, true));
  if (!refs.digest.empty())
    return Error(ErrorCode::kUsage, "sign takes tags; pin a digest with --digest");
  std::string digest;
  if (auto d = ctx.value("digest")) {
    TRUSTCTL_TRY_ASSIGN(auto parsed, registry::Digest::parse(*d));
    digest = parsed.string();
  }
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(refs.repository, ctx));
  std::vector<trust::TagRequest> requests;
  for (const auto& tag : refs.tags) requests.push_back({tag, digest});
  if (ctx.has("signer")) return as_signer(ctx, *access, requests, /*revoke=*/false);
  const bool init = ctx.has("init") || keystore::stdin_is_tty();
  TRUSTCTL_TRY_ASSIGN(auto tags,
                      trust::sign(*access->publisher, *access->manifests, requests, init));
  emit(ctx, SignReport{access->ref.name(), std::move(tags)});
  return {};
}

Status revoke(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto refs, parse_references(ctx.args, false));
  const bool all = ctx.has("all");
  if (!all && refs.tags.empty())
    return Error(ErrorCode::kUsage, "revoke needs REF:TAG, or --all to revoke every tag");
  if (all && !refs.tags.empty())
    return Error(ErrorCode::kUsage, "--all takes a repository without a tag");
  if (all && ctx.has("signer"))
    return Error(ErrorCode::kUsage, "--signer revokes named tags, not --all");
  if (all && !ctx.has("yes") &&
      !keystore::confirm_on_tty("Revoke every signed tag of " + refs.repository.name() + "?"))
    return Error(ErrorCode::kUsage, "revoking every tag needs confirmation: pass --yes");
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(refs.repository, ctx));
  if (ctx.has("signer")) {
    std::vector<trust::TagRequest> requests;
    for (const auto& tag : refs.tags) requests.push_back({tag, ""});
    return as_signer(ctx, *access, requests, /*revoke=*/true);
  }
  TRUSTCTL_TRY_ASSIGN(auto revocation, trust::revoke(*access->publisher, refs.tags, all));
  emit(ctx, RevokeReport{access->ref.name(), std::move(revocation)});
  return {};
}

const FlagSpec kSignerFlag{"signer", '\0', "NAME",
                           "Act as signer NAME (a delegated role) with its keys in this trust dir",
                           ValueKind::kText};
const FlagSpec kReplacePendingFlag{
    "replace-pending", '\0', "",
    "With --signer: drop the signer's waiting version that makes another change and start a "
    "new one (a fully signed one is withdrawn in the snapshot)"};

}  // namespace

std::vector<CommandSpec> sign_commands() {
  return {
      {"sign",
       "Sign tags (trust data kept in the registry)",
       "Sign tags: record each tag's current digest (its manifest's length, sha256 and media "
       "type) in the repository's trust data, in one publication for all. The first sign of a "
       "repository creates its keys and root on a terminal; without one it needs --init (or "
       "'trustctl repo init').",
       {{"REF[:TAG]", "the tags to sign, all of one repository (no tag means latest)",
         ValueKind::kReference, 1, -1}},
       {{"digest", '\0', "DIGEST", "Sign this digest; refuse if the tag points elsewhere",
         ValueKind::kText},
        {"init", '\0', "", "Create keys and trust data if the repository has none"},
        kSignerFlag,
        kReplacePendingFlag},
       kTrustFlags | kPublishFlags,
       {"trustctl sign --init localhost:5000/secure-app:signed",
        "trustctl sign localhost:5000/secure-app:v1 localhost:5000/secure-app:v2",
        "trustctl sign --digest sha256:5a5f… localhost:5000/secure-app:v1",
        "trustctl sign --signer release localhost:5000/secure-app:v1"},
       {"TRUSTCTL_ROOT_PASSPHRASE", "TRUSTCTL_REPOSITORY_PASSPHRASE",
        "TRUSTCTL_DELEGATION_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       sign},
      {"revoke",
       "Remove signed tags from the trust data",
       "Remove signed tags from the trust data, so that verify refuses them. A plain revoke "
       "removes what the repository key signed; a signer's tags are revoked with --signer. A "
       "revocation is confirmed by reading the trust data back, so no concurrent signer drops "
       "it.",
       {{"REF[:TAG]", "the tags to revoke (REF alone with --all)", ValueKind::kReference, 1, -1}},
       {{"all", '\0', "", "Revoke every tag the repository key signed"},
        {"yes", 'y', "", "Do not ask for confirmation (--all)"},
        kSignerFlag,
        kReplacePendingFlag},
       kTrustFlags | kPublishFlags,
       {"trustctl revoke localhost:5000/secure-app:v1",
        "trustctl revoke --all --yes localhost:5000/secure-app",
        "trustctl revoke --signer release localhost:5000/secure-app:v1"},
       {"TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_DELEGATION_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       revoke},
  };
}

}  // namespace trustctl::cli
