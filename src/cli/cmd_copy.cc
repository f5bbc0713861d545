// trustctl copy: signed tags with their images and their trust data, to another repository or
// registry, without re-signing (docs/image-transfer.md, "copy").
#include <algorithm>

#include "registry_access.h"
#include "render/emit.h"
#include "render/image.h"
#include "render/progress.h"
#include "transfer_access.h"
#include "trust_access.h"
#include "trustctl/core/log.h"
#include "trustctl/trust/copy.h"

namespace trustctl::cli {
namespace {

// The tags named on the command line: SRC's and every --tag (latest when none is given); none
// with --all-tags (every signed tag, known once the trust data is verified).
Result<std::vector<std::string>> named_tags(const Context& ctx, const registry::Reference& src) {
  std::vector<std::string> tags;
  if (ctx.has("all-tags")) {
    if (!src.tag.empty() || ctx.has("tag"))
      return Error(ErrorCode::kUsage,
                   "--all-tags copies every signed tag: give SRC without a tag and no --tag");
    return tags;
  }
  if (!src.tag.empty()) tags.push_back(src.tag);
  for (const auto& t : ctx.values("tag")) {
    if (!registry::is_valid_tag(t)) return Error(ErrorCode::kUsage, "--tag " + t + ": not a tag");
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
  }
  if (tags.empty()) tags.push_back("latest");
  return tags;
}

// DEST names a repository; a tag there may only repeat the one tag copied (the trust data signs
// the tag's name, so a copy cannot rename it).
Status check_destination(const registry::Reference& src, const registry::Reference& dest,
                         const std::vector<std::string>& tags) {
  if (!src.digest.empty() || !dest.digest.empty())
    return Error(ErrorCode::kUsage, "copy copies signed tags, not digests: give REPO[:TAG]");
  if (!dest.tag.empty() && (tags.size() != 1 || tags.front() != dest.tag))
    return Error(ErrorCode::kUsage,
                 "copy keeps the signed tag names (the trust data signs " +
                     (tags.size() == 1 ? "'" + tags.front() + "'" : std::string("each tag")) +
                     ", not '" + dest.tag +
                     "'); give DEST as a repository, or pull and push to publish another name");
  registry::Reference a = src, b = dest;
  a.tag.clear();
  b.tag.clear();
  if (a.name() == b.name())
    return Error(ErrorCode::kUsage, "SRC and DEST are the same repository (" + a.name() + ")");
  return {};
}

Status copy(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto src, parse_reference(ctx.args[0]));
  TRUSTCTL_TRY_ASSIGN(auto dest, parse_reference(ctx.args[1]));
  TRUSTCTL_TRY_ASSIGN(auto options, transfer_options(ctx));
  TRUSTCTL_TRY_ASSIGN(auto tags, named_tags(ctx, src));
  TRUSTCTL_TRY(check_destination(src, dest, tags));

  // The source's trust data, verified as verify does, and every chosen tag verified there.
  TRUSTCTL_TRY_ASSIGN(auto from, open_trust(src, ctx));
  TRUSTCTL_TRY_ASSIGN(auto current, from->refresh());
  auto& view = current.verified.view;
  for (const auto& w : view.warnings) log::warn(w);
  if (tags.empty()) {  // --all-tags
    for (const auto& t : view.tags) tags.push_back(t.tag);
    if (tags.empty())
      return Error(ErrorCode::kNoTrustData, from->ref.name() + " has trust data but no signed tag");
  }
  const std::string src_name = from->ref.name();
  std::vector<trust::SignedTag> signed_tags;
  std::vector<transfer::CopyItem> items;
  for (const auto& tag : tags) {
    TRUSTCTL_TRY_ASSIGN(auto t, trust::verify_tag(view, *from->manifests, tag, "", src_name));
    transfer::CopyItem item;
    item.manifest.media_type = t.media_type;
    item.manifest.digest = t.digest;
    item.manifest.size = t.length;
    item.tag = tag;
    items.push_back(std::move(item));
    signed_tags.push_back(std::move(t));
  }

  // The images first, then the trust data that names them.
  registry::Reference to = dest;
  to.tag.clear();
  auto to_client = connect_registry(to.api_host(), ctx.global);
  const trust::TrustDir dir(ctx.global.trust_dir);
  auto cache = dir.blob_cache();
  truststore::OciTrustStore to_store(*to_client, to.repository, &cache);
  TRUSTCTL_TRY_ASSIGN(auto scratch, dir.scratch("copy"));
  TRUSTCTL_TRY_ASSIGN(auto staging, image::OciLayout::create(scratch.path() + "/staging"));
  const std::string mount_from =
      from->ref.api_host() == to.api_host() ? from->ref.repository : std::string();
  const std::string what = tags.size() == 1
                               ? from->ref.name() + ":" + tags.front()
                               : from->ref.name() + " (" + std::to_string(tags.size()) + " tags)";
  TransferDisplay display(ctx.err, stderr_is_tty(), ctx.has("quiet"), what + " to " + to.name());
  options.progress = display.sink();
  TRUSTCTL_TRY_ASSIGN(
      auto moved,
      transfer::copy_images(clients_for(from->ref, ctx), from->ref.repository, clients_for(to, ctx),
                            to.repository, items, mount_from, staging, options));
  transfer::TransferResult summary = moved;
  if (tags.size() > 1) summary.manifest = {};  // the line names no one digest
  display.finish(summary, "copied");
  TRUSTCTL_TRY_ASSIGN(auto trust_copy,
                      trust::copy_trust_data(current, *from->store, to_store, to.name()));

  // What a verifier pinned to the root sees there.
  const trust::TrustDir fresh(scratch.path() + "/trust");
  auto there = trust::verify_copy(current.verified, from->ref.repository, to_store, to, fresh);
  if (!there) return there.error().wrap("the copy at " + to.name() + " does not verify");
  trust::RegistryManifests to_manifests(*to_client, to);
  for (const auto& t : signed_tags) {
    auto ok = trust::verify_tag(there->verified.view, to_manifests, t.tag, t.digest, to.name());
    if (!ok) return ok.error().wrap("the copy at " + to.name() + " does not verify");
  }

  CopyReport report;
  report.source = from->ref.name();
  report.destination = to.name();
  report.tags = std::move(signed_tags);
  report.trust_written = trust_copy == trust::TrustCopy::kWritten;
  report.root_keys = current.verified.root().roles.at("root").keyids;
  if (to.repository != from->ref.repository) report.trust_repository = from->ref.repository;
  report.result = std::move(moved);
  emit(ctx, report);
  if (!ctx.json() && !ctx.has("quiet")) {
    const std::string alias =
        report.trust_repository.empty() ? "" : " --trust-repository " + report.trust_repository;
    log::info("verify it there with a trust dir pinned to its root: trustctl trust pin " +
              to.name() + " --fingerprint " + report.root_keys.front() + ", then trustctl verify" +
              alias + " " + to.name() + ":" + report.tags.front().tag);
  }
  return {};
}

}  // namespace

std::vector<CommandSpec> copy_commands() {
  return {
      {"copy",
       "Copy signed tags with their images and trust data, without re-signing",
       "Verify SRC's trust data and each chosen tag there (as verify does), then copy the "
       "tags' manifests and blobs to DEST (another repository or registry; only what DEST "
       "lacks, mounted when both are on one registry) and then the trust data itself, unchanged. "
       "Whoever trusts the root verifies the copy as it is; at another repository path only with "
       "--trust-repository SRC_PATH. DEST's existing trust data must be an earlier state of the "
       "same root (a copy never rolls it back). The copy is verified at DEST before the command "
       "succeeds. The trust data keeps every signed tag; tags not copied do not resolve at DEST "
       "(exit 11).",
       {{"SRC[:TAG]", "the source repository and tag (no tag means latest)", ValueKind::kReference},
        {"DEST", "the destination repository (a tag only if it repeats SRC's)",
         ValueKind::kReference}},
       {{"tag", 't', "TAG", "Also copy this signed tag (repeatable)", ValueKind::kText, true},
        {"all-tags", 'a', "", "Copy every signed tag of SRC"},
        kJobsFlag,
        kQuietFlag},
       kTrustFlags,
       {"trustctl copy localhost:5000/secure-app:signed registry.prod:5000/secure-app",
        "trustctl copy --all-tags staging:5000/team/app prod:5000/team/app",
        "trustctl copy -t v1 -t v2 localhost:5000/app localhost:5000/mirror/app"},
       {"TRUSTCTL_TRUST_DIR", "TRUSTCTL_TOFU"},
       copy},
  };
}

}  // namespace trustctl::cli
