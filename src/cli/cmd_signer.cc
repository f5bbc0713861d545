// trustctl signer add|remove|list: named signers with k-of-n thresholds (docs/signers.md).
#include "registry_access.h"
#include "render/emit.h"
#include "render/publish.h"
#include "render/status.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {
namespace {

Result<std::vector<crypto::PublicKey>> read_public_keys(const std::vector<std::string>& files) {
  std::vector<crypto::PublicKey> keys;
  for (const auto& file : files) {
    auto pem = fs::read_file(file);
    if (!pem) return Error(ErrorCode::kUsage, pem.error().message());
    auto key = crypto::PublicKey::from_pem(*pem);
    if (!key) return Error(ErrorCode::kUsage, file + ": " + key.error().message());
    keys.push_back(*key);
  }
  return keys;
}

Status signer_add(Context& ctx) {
  const std::string name = ctx.args[0];
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[1], ctx.program()));
  TRUSTCTL_TRY_ASSIGN(auto keys, read_public_keys(ctx.values("key")));
  TRUSTCTL_TRY_ASSIGN(auto threshold, ctx.number("threshold"));
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
  TRUSTCTL_TRY_ASSIGN(auto signer, trust::add_signer(*access->publisher, name, keys, threshold));
  emit(ctx, SignerAddReport{access->ref.name(), std::move(signer)});
  return {};
}

Status signer_remove(Context& ctx) {
  const std::string name = ctx.args[0];
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[1], ctx.program()));
  const std::vector<std::string> keyids = ctx.values("key");
  if (keyids.empty() && !ctx.has("yes") &&
      !keystore::confirm_on_tty("Remove signer " + name + " of " + ref.name() +
                                "? Tags only it signed will no longer verify."))
    return Error(ErrorCode::kUsage, "removing a signer needs confirmation: pass --yes");
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
  TRUSTCTL_TRY(trust::remove_signer(*access->publisher, name, keyids));
  emit(ctx, SignerRemoveReport{access->ref.name(), name, keyids});
  return {};
}

Status signer_list(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[0], ctx.program()));
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
  TRUSTCTL_TRY_ASSIGN(auto current, access->refresh());
  for (const auto& w : current.view().warnings) log::warn(w);
  emit(ctx, SignersReport{access->ref.name(), std::move(current.verified.view)});
  return {};
}

const PositionalSpec kName{"NAME", "the signer's name (lower case, digits, '-', '_')"};

}  // namespace

std::vector<CommandSpec> signer_commands() {
  return {
      {"signer add",
       "Add a signer, add keys to it, or change its threshold",
       "Add signer NAME to REPO (a role delegated by the top-level targets, for every tag), add "
       "keys to it, or change its threshold: how many of its keys must sign each of its "
       "versions. Needs the repository (targets) key.",
       {kName, kRepositoryArgument},
       {{"key", '\0', "FILE",
         "PEM public key of the signer ('trustctl key generate NAME' writes NAME.pub)",
         ValueKind::kFile, true},
        {"threshold", '\0', "K", "How many of the signer's keys must sign each of its versions",
         ValueKind::kNumber}},
       kTrustFlags | kPublishFlags,
       {"trustctl signer add release localhost:5000/secure-app --key alice.pub --key bob.pub "
        "--threshold 2"},
       {"TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       signer_add},
      {"signer remove",
       "Remove a signer, or some of its keys",
       "Remove signer NAME from REPO (its tags stop counting), or only some of its keys. Its "
       "waiting version is dropped. Needs the repository (targets) key.",
       {kName, kRepositoryArgument},
       {{"key", '\0', "KEYID", "Remove only this key (ID or an unambiguous prefix)",
         ValueKind::kKeyId, true},
        {"yes", 'y', "", "Do not ask for confirmation"}},
       kTrustFlags | kPublishFlags,
       {"trustctl signer remove release localhost:5000/secure-app --key 3fa2c1",
        "trustctl signer remove release localhost:5000/secure-app --yes"},
       {"TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       signer_remove,
       {"signer rm"}},
      {"signer list",
       "List the signers, their keys and what waits for signatures",
       "Verify REPO and list its signers, their keys, thresholds and versions, and each version "
       "waiting for signatures (what it changes, who signed it, who is missing).",
       {kRepositoryArgument},
       {},
       kTrustFlags,
       {"trustctl signer list localhost:5000/secure-app"},
       {"TRUSTCTL_TRUST_DIR"},
       signer_list,
       {"signer ls"}},
  };
}

}  // namespace trustctl::cli
