// trustctl repo init|status|refresh|rotate|repair|export|delete: a repository's trust data over
// time (docs/operations.md).
#include <ctime>

#include "registry_access.h"
#include "render/emit.h"
#include "render/publish.h"
#include "render/repo.h"
#include "render/status.h"
#include "trust_access.h"
#include "trustctl/core/log.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/trust/export.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {
namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

Result<std::unique_ptr<TrustAccess>> open_repository(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[0], ctx.program()));
  return open_trust(ref, ctx);
}

// Destructive commands ask on a terminal; without one they need --yes.
Status confirmed(const Context& ctx, const std::string& question, const std::string& what) {
  if (ctx.has("yes") || keystore::confirm_on_tty(question)) return {};
  return Error(ErrorCode::kUsage, what + " needs confirmation: pass --yes");
}

Status repo_init(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_repository(ctx));
  TRUSTCTL_TRY(trust::init(*access->publisher));
  emit(ctx, InitReport{access->ref.name()});
  return {};
}

Status repo_status(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_repository(ctx));
  TRUSTCTL_TRY_ASSIGN(auto current, access->refresh());
  for (const auto& w : current.view().warnings) log::warn(w);
  emit(ctx, StatusReport{access->ref.name(), std::move(current.verified.view), now()});
  return {};
}

Status repo_refresh(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_repository(ctx));
  TRUSTCTL_TRY_ASSIGN(auto view, trust::renew(*access->publisher));
  emit(ctx, RefreshReport{{access->ref.name(), std::move(view), now()}});
  return {};
}

Status repo_rotate(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_repository(ctx));
  const std::string role = ctx.args[1];
  TRUSTCTL_TRY_ASSIGN(auto keyid,
                      trust::rotate(*access->publisher, role, ctx.value("key").value_or("")));
  TRUSTCTL_TRY_ASSIGN(auto current, access->refresh());
  const trust::RoleInfo* root = current.view().role("root");
  emit(ctx, RotateReport{access->ref.name(), role, keyid, root ? root->version : 0});
  return {};
}

Status repo_repair(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[0], ctx.program()));
  TRUSTCTL_TRY(confirmed(ctx,
                         "Republish the state of " + ref.name() +
                             " this trust dir verified last, dropping everything else?",
                         "repairing the trust data of " + ref.name()));
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
  RepairReport report{access->ref.name(), {}, {}};
  TRUSTCTL_TRY_ASSIGN(report.view, trust::repair(*access->publisher, &report.dropped));
  emit(ctx, report);
  return {};
}

Status repo_export(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_repository(ctx));
  trust::ExportOptions options;
  options.with_manifests = ctx.has("with-manifests");
  options.force = ctx.has("force");
  TRUSTCTL_TRY_ASSIGN(
      auto report, trust::export_repository(*access->verifier, *access->store, *access->manifests,
                                            ctx.args[1], options));
  for (const auto& w : report.view.warnings) log::warn(w);
  emit(ctx, ExportResult{access->ref.name(), std::move(report)});
  return {};
}

Status repo_delete(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_repository(ctx.args[0], ctx.program()));
  TRUSTCTL_TRY(confirmed(
      ctx, "Delete the trust data of " + ref.name() + " from the registry and this trust dir?",
      "deleting the trust data of " + ref.name()));
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
  TRUSTCTL_TRY_ASSIGN(
      auto report, trust::delete_repository(*access->store, access->verifier->dir(), access->ref));
  if (report.pinned)
    log::info("the pin of " + ref.name() + " stays (remove it with: trustctl trust unpin " +
              ref.name() + ")");
  emit(ctx, DeleteResult{std::move(report)});
  return {};
}

const FlagSpec kYes{"yes", 'y', "", "Do not ask for confirmation"};

}  // namespace

std::vector<CommandSpec> repo_commands() {
  return {
      {"repo init",
       "Create the keys and the first trust data",
       "Create REPO's root, targets, snapshot and timestamp keys (ECDSA P-256) in this trust dir "
       "and publish version 1 of its trust data. The root key is the offline one: store it "
       "away after the init (docs/operations.md, key ceremonies).",
       {kRepositoryArgument},
       {},
       kTrustFlags,
       {"trustctl repo init localhost:5000/secure-app"},
       {"TRUSTCTL_ROOT_PASSPHRASE", "TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       repo_init},
      {"repo status",
       "Every role's version, expiry, keys and threshold",
       "Verify REPO and show every role's version, expiry, days left, threshold and keys, then "
       "the signers and what waits for their signatures. -o json gives expires_in_seconds per "
       "role, for a monitoring check.",
       {kRepositoryArgument},
       {},
       kTrustFlags,
       {"trustctl repo status localhost:5000/secure-app"},
       {"TRUSTCTL_TRUST_DIR"},
       repo_status},
      {"repo refresh",
       "Re-sign snapshot and timestamp (the freshness job)",
       "Re-sign REPO's snapshot and timestamp with new versions and fresh expiries, and publish "
       "every signer version whose threshold is met. Nothing else renews the timestamp: run this "
       "from cron or CI well within its lifetime (docs/operations.md). It works on expired "
       "trust data too.",
       {kRepositoryArgument},
       {},
       kTrustFlags | kPublishFlags,
       {"trustctl repo refresh localhost:5000/secure-app"},
       {"TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_SNAPSHOT_PASSPHRASE",
        "TRUSTCTL_TIMESTAMP_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       repo_refresh},
      {"repo rotate",
       "Replace the key of a role",
       "Replace the key of one of REPO's roles. Root gets a new version listing the new key, "
       "signed by the root key (a root rotation by the old and the new root key), so every "
       "client follows the chain and the old key stops counting.",
       {kRepositoryArgument, {"ROLE", "root, targets, snapshot or timestamp", ValueKind::kRole}},
       {{"key", '\0', "FILE", "Use this private key (PEM) instead of generating one",
         ValueKind::kFile}},
       kTrustFlags | kPublishFlags,
       {"trustctl repo rotate localhost:5000/secure-app timestamp",
        "trustctl repo rotate localhost:5000/secure-app root --key new-root.pem"},
       {"TRUSTCTL_ROOT_PASSPHRASE", "TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       repo_rotate},
      {"repo repair",
       "Republish the last verified state of unverifiable trust data",
       "Republish the last state of REPO this trust dir verified and vouches for, with new "
       "snapshot and timestamp versions, when the registry's trust data no longer verifies (a "
       "pusher added a garbage root version, say). Everything else in the registry's trust data "
       "is dropped: waiting signer versions, and anything published after this trust dir last "
       "verified REPO. Needs the snapshot and timestamp keys (docs/operations.md).",
       {kRepositoryArgument},
       {kYes},
       kTrustFlags,
       {"trustctl repo repair --yes localhost:5000/secure-app"},
       {"TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       repo_repair},
      {"repo export",
       "Write the verified trust data as a plain TUF repository",
       "Write REPO's trust data into DIR as a standard TUF repository (consistent snapshots: "
       "N.root.json..., timestamp.json, N.snapshot.json, N.targets.json, delegated roles), byte "
       "for byte, after a verified refresh. Verify from it with 'trustctl verify --offline --from "
       "DIR REF', or with any TUF client.",
       {kRepositoryArgument, {"DIR", "an empty or new folder", ValueKind::kDir}},
       {{"with-manifests", '\0', "",
         "Also write the signed manifests as DIR/targets/<sha256>.<tag>"},
        {"force", '\0', "", "Write into a non-empty DIR (files of the same name are replaced)"}},
       kTrustFlags,
       {"trustctl repo export --with-manifests localhost:5000/secure-app ./export"},
       {"TRUSTCTL_TRUST_DIR"},
       repo_export},
      {"repo delete",
       "Delete the trust data from the registry and this trust dir",
       "Delete REPO's trust data: the reserved tag's manifest in the registry (by digest) and "
       "this trust dir's trusted state and cached files of REPO. Keys and pins stay. Other "
       "clients that have seen the trust data will treat its absence as an attack (exit 13) "
       "until they forget it too.",
       {kRepositoryArgument},
       {kYes},
       0,
       {"trustctl repo delete --yes localhost:5000/secure-app"},
       {"TRUSTCTL_TRUST_DIR"},
       repo_delete},
  };
}

}  // namespace trustctl::cli
