// trustctl repo export, repo delete, and verify --offline --from DIR (docs/operations.md).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "registry_access.h"
#include "trust_access.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/log.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/trust/export.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;

}  // namespace

Status repo_export(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Write REPO's trust data into DIR as a standard TUF repository (consistent snapshots: "
      "N.root.json..., timestamp.json, N.snapshot.json, N.targets.json, delegated roles), "
      "byte for byte, after a verified refresh. Verify from it with 'trustctl verify --offline "
      "--from DIR REF', or with any TUF client.\n\nUsage: " +
          inv.program + " REPO DIR");
  options.add_options()("with-manifests",
                        "Also write the signed manifests as DIR/targets/<sha256>.<tag>")(
      "force", "Write into a non-empty DIR (files of the same name are replaced)");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 2)
    return Error(ErrorCode::kUsage, "repo export takes a repository and a directory");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], "repo export"));
  TRY_ASSIGN(auto access, open_trust(ref.name(), p));
  trust::ExportOptions eopts;
  eopts.with_manifests = p.flags.count("with-manifests") > 0;
  eopts.force = p.flags.count("force") > 0;
  TRY_ASSIGN(auto report, trust::export_repository(*access->verifier, *access->store,
                                                   *access->manifests, p.positional[1], eopts));
  for (const auto& w : report.view.warnings) log::warn(w);
  if (p.global.output == OutputFormat::kJson) {
    json files = json::array();
    for (const auto& f : report.files)
      files.push_back({{"path", f.path}, {"kind", f.kind}, {"sha256", f.sha256}, {"size", f.size}});
    *inv.out << json({{"repository", access->ref.name()},
                      {"dir", report.dir},
                      {"files", files},
                      {"signedTags", report.view.tags.size()},
                      {"warnings", report.view.warnings}})
                    .dump(2)
             << "\n";
  } else {
    for (const auto& f : report.files) *inv.out << f.path << "\n";
    log::info("exported " + std::to_string(report.files.size()) + " files of " +
              access->ref.name() + " into " + report.dir);
  }
  return {};
}

Status repo_delete(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Delete REPO's trust data: the reserved tag's manifest in the registry (by digest) and "
      "this trust dir's trusted state and cached files of REPO. Keys and pins stay. Other "
      "clients that have seen the trust data will treat its absence as an attack (exit 13) "
      "until they forget it too.\n\nUsage: " +
          inv.program + " REPO [--yes]");
  options.add_options()("y,yes", "Do not ask for confirmation");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "repo delete takes one repository");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], "repo delete"));
  if (!p.flags.count("yes")) {
    if (!keystore::confirm_on_tty("Delete the trust data of " + ref.name() +
                                  " from the registry and this trust dir?"))
      return Error(ErrorCode::kUsage,
                   "deleting the trust data of " + ref.name() + " needs confirmation: pass --yes");
  }
  TRY_ASSIGN(auto access, open_trust(ref.name(), p));
  TRY_ASSIGN(auto report,
             trust::delete_repository(*access->store, access->verifier->dir(), access->ref));
  if (report.pinned)
    log::info("the pin of " + ref.name() + " stays (remove it with: trustctl trust unpin " +
              ref.name() + ")");
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << json({{"repository", report.repository},
                      {"deleted", report.manifest_digest.has_value()},
                      {"manifestDigest", report.manifest_digest.value_or("")},
                      {"forgotLocalState", report.forgot_local_state},
                      {"cachedBlobsRemoved", report.cached_blobs_removed},
                      {"pinKept", report.pinned}})
                    .dump(2)
             << "\n";
  } else {
    if (report.manifest_digest)
      *inv.out << "Deleted the trust data of " << report.repository << " ("
               << *report.manifest_digest << ")\n";
    else
      *inv.out << report.repository << " had no trust data in the registry\n";
    if (report.forgot_local_state)
      *inv.out << "This trust dir forgot " << report.repository << "\n";
  }
  return {};
}

Status verify_offline(const Invocation& inv, const Parsed& p) {
  const std::string reference = p.positional.empty() ? "" : p.positional[0];
  auto fail = [&](const Error& e) {
    return report_verify_failure(inv, p, reference, e, /*offline=*/true);
  };
  if (!p.flags.count("offline"))
    return fail(Error(ErrorCode::kUsage, "--from DIR is for --offline verification"));
  if (!p.flags.count("from")) return fail(Error(ErrorCode::kUsage, "--offline needs --from DIR"));
  if (p.positional.size() != 1) return fail(Error(ErrorCode::kUsage, "verify takes one reference"));
  auto ref = parse_reference(reference);
  if (!ref) return fail(ref.error());
  // No registry client is created here: everything comes from DIR and the trust dir.
  if (auto st = check_trust_dir(p); !st) return fail(st.error());
  const std::string dir = p.flags["from"].as<std::string>();
  const trust::Verifier verifier(trust::TrustDir(p.global.trust_dir), *ref, verify_options(p));
  auto export_view = trust::verify_export(verifier, dir);
  if (!export_view) return fail(export_view.error());
  trust::TrustedView& view = export_view->view;
  trust::ExportManifests manifests(dir);
  const std::string where = verifier.repository().name() + " in " + dir;
  std::vector<trust::SignedTag> verified;
  const bool by_digest = ref->tag.empty() && !ref->digest.empty();
  if (by_digest) {
    auto r = trust::verify_digest(view, manifests, ref->digest, where);
    if (!r) return fail(r.error());
    verified = *r;
  } else {  // REF:TAG, or REF:TAG@DIGEST: TAG must be signed for DIGEST
    auto r = trust::verify_tag(view, manifests, ref->tag.empty() ? "latest" : ref->tag, ref->digest,
                               where);
    if (!r) return fail(r.error());
    verified.push_back(*r);
  }
  report_verified(inv, p, reference, verified, view, by_digest, /*offline=*/true);
  return {};
}

}  // namespace trustctl::cli
