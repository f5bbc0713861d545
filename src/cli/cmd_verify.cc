// trustctl verify (online, and --offline from an export) and trustctl inspect.
#include "registry_access.h"
#include "render/emit.h"
#include "render/inspect.h"
#include "render/verify.h"
#include "trust_access.h"
#include "trustctl/core/log.h"
#include "trustctl/trust/export.h"

namespace trustctl::cli {
namespace {

// The signed tags REF names: REF@DIGEST every tag that maps to it; REF:TAG (or REF:TAG@DIGEST,
// then TAG must be signed for DIGEST) that tag.
Result<std::vector<trust::SignedTag>> verified_tags(trust::TrustedView& view,
                                                    trust::ManifestSource& manifests,
                                                    const References& refs,
                                                    const std::string& where) {
  if (refs.tags.empty()) return trust::verify_digest(view, manifests, refs.digest, where);
  TRUSTCTL_TRY_ASSIGN(auto tag,
                      trust::verify_tag(view, manifests, refs.tags.front(), refs.digest, where));
  return std::vector<trust::SignedTag>{tag};
}

Result<VerifyReport> verify_online(Context& ctx, const References& refs,
                                   std::unique_ptr<TrustAccess>& access,
                                   std::optional<trust::TrustedView>& current) {
  TRUSTCTL_TRY_ASSIGN(access, open_trust(refs.repository, ctx));
  TRUSTCTL_TRY_ASSIGN(current, access->current());
  VerifyReport report{ctx.args[0], false, refs.tags.empty(), {}, &*current};
  TRUSTCTL_TRY_ASSIGN(report.verified,
                      verified_tags(*current, *access->manifests, refs, refs.repository.name()));
  return report;
}

Result<VerifyReport> verify_offline(Context& ctx, const References& refs,
                                    std::optional<trust::Verified>& verified) {
  if (!ctx.has("offline"))
    return Error(ErrorCode::kUsage, "--from DIR is for --offline verification");
  auto dir = ctx.value("from");
  if (!dir) return Error(ErrorCode::kUsage, "--offline needs --from DIR");
  // No registry client is created here: everything comes from DIR and the trust dir.
  TRUSTCTL_TRY(check_trust_dir(ctx));
  const trust::Verifier verifier(trust::TrustDir(ctx.global.trust_dir), refs.repository,
                                 verify_options(ctx));
  TRUSTCTL_TRY_ASSIGN(verified, trust::verify_export(verifier, *dir));
  trust::ExportManifests manifests(*dir);
  VerifyReport report{ctx.args[0], true, refs.tags.empty(), {}, &verified->view};
  TRUSTCTL_TRY_ASSIGN(report.verified, verified_tags(verified->view, manifests, refs,
                                                     refs.repository.name() + " in " + *dir));
  return report;
}

Status verify(Context& ctx) {
  const bool offline = ctx.has("offline") || ctx.has("from");
  auto fail = [&](const Error& e) -> Status {
    if (!ctx.json()) return e;
    log::error(e.message());
    emit(ctx, VerifyFailure{ctx.args[0], offline, e});  // the error object, and what it was about
    ctx.error_reported = true;
    return e;
  };
  auto refs = parse_references(ctx.args, true);
  if (!refs) return fail(refs.error());
  std::unique_ptr<TrustAccess> access;
  std::optional<trust::TrustedView> current;
  std::optional<trust::Verified> exported;
  auto report =
      offline ? verify_offline(ctx, *refs, exported) : verify_online(ctx, *refs, access, current);
  if (!report) return fail(report.error());
  for (const auto& w : report->view->warnings) log::warn(w);
  emit(ctx, *report);
  return {};
}

// The platforms of the index `t` signs, from the index fetched by its signed digest (the client
// checks the bytes against it) and checked against the signed length.
Result<std::vector<std::string>> index_platforms(const TrustAccess& access,
                                                 const trust::SignedTag& t) {
  TRUSTCTL_TRY_ASSIGN(auto index, access.client->get_manifest(access.ref.repository, t.digest));
  if (index.descriptor.digest != t.digest)
    return Error(ErrorCode::kIntegrity,
                 "the registry served " + index.descriptor.digest + " for the signed " + t.digest);
  if (static_cast<std::int64_t>(index.bytes.size()) != t.length)
    return Error(ErrorCode::kIntegrity, "the manifest " + t.digest + " is " +
                                            std::to_string(index.bytes.size()) +
                                            " bytes, not the signed " + std::to_string(t.length));
  if (!index.is_index())
    return Error(ErrorCode::kIntegrity, "the manifest " + t.digest + " is not an index");
  std::vector<std::string> platforms;
  for (const auto& child : index.manifests)
    if (!child.platform.os.empty() || !child.platform.architecture.empty())
      platforms.push_back(child.platform.string());
  return platforms;
}

// For inspect: the platforms of the signed indexes `entry` shows. A manifest that cannot be
// fetched is a warning, not a failure: inspect is about the trust data.
void add_platforms(const TrustAccess& access, InspectEntry& entry) {
  for (const auto& t : entry.view.tags) {
    if (!entry.tag.empty() && t.tag != entry.tag) continue;
    if (!registry::is_index_media_type(t.media_type) || entry.platforms.count(t.digest)) continue;
    auto platforms = index_platforms(access, t);
    if (!platforms) {
      log::warn("the platforms of " + access.ref.name() + ":" + t.tag +
                " are unknown: " + platforms.error().message());
      entry.platforms[t.digest] = std::nullopt;
      continue;
    }
    entry.platforms[t.digest] = std::move(platforms).value();
  }
}

Status inspect(Context& ctx) {
  InspectReport report;
  report.pretty = ctx.has("pretty");
  if (report.pretty && ctx.json())
    return Error(ErrorCode::kUsage, "--pretty prints tables; it does not go with -o json");
  Status first_error;
  for (const auto& text : ctx.args) {
    TRUSTCTL_TRY_ASSIGN(auto ref, parse_reference(text));
    TRUSTCTL_TRY_ASSIGN(auto access, open_trust(ref, ctx));
    auto current = access->current();
    if (!current) {
      Error e = current.error().wrap("no signatures or cannot access " + text);
      if (ctx.json()) return e;  // the JSON error object instead of the list
      log::error(e.message());
      if (first_error.ok()) first_error = e;
      continue;
    }
    for (const auto& w : current->warnings) log::warn(w);
    const std::string name =
        ref.tag.empty() ? access->ref.name() : access->ref.name() + ":" + ref.tag;
    report.entries.push_back({name, ref.tag, std::move(*current), {}});
    add_platforms(*access, report.entries.back());
  }
  if (report.pretty)
    print_pretty(ctx.out, report);
  else
    ctx.out << to_docker_json(report).dump(4) << "\n";
  // As docker: the list of what could be shown, each failure once on stderr.
  if (!first_error.ok()) ctx.error_reported = true;
  return first_error;
}

}  // namespace

std::vector<CommandSpec> verify_commands() {
  return {
      {"verify",
       "Verify a tag or digest through the trust data; print the trusted digest",
       "Verify REF through the repository's trust data: the TUF checks against this trust dir's "
       "trusted state (root, rollback, freeze, repository binding, signers and thresholds), then "
       "the manifest fetched by the signed digest and checked against its signed length and "
       "sha256. Prints the trusted digest; exit 0 only when everything verified.\n\n"
       "REF:TAG verifies the tag (no tag means latest), REF@DIGEST succeeds when some signed tag "
       "maps to DIGEST, REF:TAG@DIGEST when TAG is signed for exactly DIGEST.",
       {{"REF[:TAG|@DIGEST]", "the reference to verify", ValueKind::kReference}},
       {{"offline", '\0', "", "Verify from an export (--from DIR) with no network at all"},
        {"from", '\0', "DIR", "Folder written by 'trustctl repo export'", ValueKind::kDir}},
       kTrustFlags,
       {"trustctl verify localhost:5000/secure-app:signed",
        "trustctl verify -o json localhost:5000/secure-app@sha256:5a5f…",
        "trustctl verify --offline --from ./export localhost:5000/secure-app:signed"},
       {"TRUSTCTL_TRUST_DIR", "TRUSTCTL_TOFU"},
       verify},
      {"inspect",
       "Show signed tags and keys (docker trust inspect)",
       "Show who signed which tags of each repository, in the JSON shape of 'docker trust "
       "inspect' (the default output, as docker prints it), or its tables with --pretty. No tag "
       "means every signed tag; REF:TAG shows only that tag. A signed index (multi-platform "
       "image) also shows its platforms, read from the index fetched by its signed digest; when "
       "it cannot be fetched they are unknown, with a warning.",
       {{"REF[:TAG]", "repositories or tags to inspect", ValueKind::kReference, 1, -1}},
       {{"pretty", '\0', "", "Print docker's human-readable tables"}},
       kTrustFlags,
       {"trustctl inspect localhost:5000/secure-app",
        "trustctl inspect --pretty localhost:5000/secure-app:signed"},
       {"TRUSTCTL_TRUST_DIR", "TRUSTCTL_TOFU"},
       inspect},
  };
}

}  // namespace trustctl::cli
