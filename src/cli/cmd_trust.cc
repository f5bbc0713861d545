// trustctl trust pin|list|unpin: the roots this trust dir trusts without trust on first use.
#include "registry_access.h"
#include "render/emit.h"
#include "render/repo.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/crypto/keys.h"

namespace trustctl::cli {
namespace {

// The key ID a pin names: the ID of a PEM public key, or a fingerprint typed by the user.
Result<std::string> pinned_key(const Context& ctx) {
  auto file = ctx.value("root-key");
  auto id = ctx.value("fingerprint");
  if (file.has_value() == id.has_value())
    return Error(ErrorCode::kUsage, "give exactly one of --root-key FILE or --fingerprint KEYID");
  if (file) {
    auto pem = fs::read_file(*file);
    if (!pem) return Error(ErrorCode::kUsage, pem.error().message());
    auto key = crypto::PublicKey::from_pem(*pem);
    if (!key) return Error(ErrorCode::kUsage, *file + ": " + key.error().message());
    return key->key_id();
  }
  if (id->size() != 64 || id->find_first_not_of("0123456789abcdef") != std::string::npos)
    return Error(ErrorCode::kUsage, "a fingerprint is a key ID: 64 lower-case hex digits");
  return *id;
}

Status trust_pin(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto repo, parse_repository(ctx.args[0], ctx.program()));
  TRUSTCTL_TRY_ASSIGN(auto keyid, pinned_key(ctx));
  TRUSTCTL_TRY(check_trust_dir(ctx));
  TRUSTCTL_TRY_ASSIGN(bool forgot,
                      trust::pin_root(trust::TrustDir(ctx.global.trust_dir), repo, keyid));
  if (forgot)
    log::info("forgot the trusted state of " + repo.name() +
              " (its root is not signed by the pinned key); the pin decides now");
  emit(ctx, PinReport{repo.name(), keyid});
  return {};
}

Status trust_list(Context& ctx) {
  TRUSTCTL_TRY(check_trust_dir(ctx));
  TRUSTCTL_TRY_ASSIGN(auto pins, trust::TrustDir(ctx.global.trust_dir).pins());
  emit(ctx, PinList{std::move(pins)});
  return {};
}

Status trust_unpin(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto repo, parse_repository(ctx.args[0], ctx.program()));
  TRUSTCTL_TRY(check_trust_dir(ctx));
  TRUSTCTL_TRY_ASSIGN(bool forgot, trust::unpin_root(trust::TrustDir(ctx.global.trust_dir), repo));
  emit(ctx, UnpinReport{repo.name(), forgot});
  return {};
}

}  // namespace

std::vector<CommandSpec> trust_commands() {
  return {
      {"trust pin",
       "Pin a repository's root key",
       "Pin the root key of REPO: a root counts only when that key signed it, so a new machine "
       "never trusts on first use. Pinning the key already trusted keeps the saved state and its "
       "rollback protection; another key makes this trust dir forget the state it had.",
       {kRepositoryArgument},
       {{"root-key", '\0', "FILE", "PEM public key of the root (trustctl key export --public ID)",
         ValueKind::kFile},
        {"fingerprint", '\0', "KEYID", "TUF key ID (sha256 hex) of the root key, as inspect shows",
         ValueKind::kKeyId}},
       0,
       {"trustctl trust pin localhost:5000/secure-app --fingerprint 5fd22f67b29c…",
        "trustctl trust pin localhost:5000/secure-app --root-key root.pub"},
       {"TRUSTCTL_TRUST_DIR"},
       trust_pin},
      {"trust list",
       "List pinned roots",
       "List the pinned roots of this trust dir.",
       {},
       {},
       0,
       {"trustctl trust list"},
       {"TRUSTCTL_TRUST_DIR"},
       trust_list,
       {"trust ls"}},
      {"trust unpin",
       "Remove a pin",
       "Remove the pin of REPO, and the trusted state it vouched for (not a root this trust dir "
       "created).",
       {kRepositoryArgument},
       {},
       0,
       {"trustctl trust unpin localhost:5000/secure-app"},
       {"TRUSTCTL_TRUST_DIR"},
       trust_unpin},
  };
}

}  // namespace trustctl::cli
