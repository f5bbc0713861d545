// trustctl push and pull: images between the registry and local image formats (OCI layouts,
// docker-archive), signed on push and resolved through verified trust data on pull.
#include "registry_access.h"
#include "render/emit.h"
#include "render/image.h"
#include "render/progress.h"
#include "transfer_access.h"
#include "trust_access.h"
#include "trustctl/core/environment.h"
#include "trustctl/core/log.h"
#include "trustctl/image/archive.h"
#include "trustctl/image/layout.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/transfer/transfer.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {
namespace {

// REPO:TAG, REPO@DIGEST or REPO:TAG@DIGEST, as the summary line names what was pulled.
std::string pulled_name(const References& refs) {
  std::string name = refs.repository.name();
  if (!refs.tags.empty()) name += ":" + refs.tags.front();
  if (!refs.digest.empty()) name += "@" + refs.digest;
  return name;
}

bool content_trust_disabled(const Context& ctx) {
  return ctx.has("disable-content-trust") || env_value("TRUSTCTL_CONTENT_TRUST") == "0";
}

// The manifest REF names, through the verified trust data (the registry's tag is not asked).
Result<registry::Descriptor> trusted_target(Context& ctx, const References& refs) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_trust(refs.repository, ctx));
  TRUSTCTL_TRY_ASSIGN(auto current, access->refresh());
  auto& view = current.verified.view;
  for (const auto& w : view.warnings) log::warn(w);
  const std::string where = refs.repository.name();
  trust::SignedTag signed_tag;
  if (refs.tags.empty()) {
    TRUSTCTL_TRY_ASSIGN(auto all,
                        trust::verify_digest(view, *access->manifests, refs.digest, where));
    signed_tag = all.front();
  } else {
    TRUSTCTL_TRY_ASSIGN(signed_tag, trust::verify_tag(view, *access->manifests, refs.tags.front(),
                                                      refs.digest, where));
  }
  registry::Descriptor d;
  d.media_type = signed_tag.media_type;
  d.digest = signed_tag.digest;
  d.size = signed_tag.length;
  return d;
}

// Without content trust: whatever the registry says REF is.
Result<registry::Descriptor> unverified_target(Context& ctx, const References& refs) {
  const std::string reference = refs.digest.empty() ? refs.tags.front() : refs.digest;
  log::warn("content trust is disabled: " + refs.repository.name() + ":" + reference +
            " is pulled as the registry serves it, unverified");
  auto client = connect_registry(refs.repository.api_host(), ctx.global);
  return client->head_manifest(refs.repository.repository, reference);
}

// A scratch folder in the trust dir for an image on its way to or from a docker-archive.
Status make_scratch(const Context& ctx, const std::string& purpose,
                    std::optional<trust::ScratchDir>& scratch) {
  TRUSTCTL_TRY(check_trust_dir(ctx));
  auto made = trust::TrustDir(ctx.global.trust_dir).scratch(purpose);
  if (!made) return made.error();
  scratch.emplace(std::move(made).value());
  return {};
}

// The local image of SRC: an OCI layout as it is, or a docker-archive imported into a scratch
// layout in the trust dir (removed afterwards).
struct LocalSource {
  std::optional<trust::ScratchDir> scratch;
  std::optional<image::OciLayout> layout;
  registry::Descriptor manifest;
};

Result<LocalSource> open_source(const Context& ctx, const image::LocalImageRef& src) {
  LocalSource source;
  if (src.kind == image::LocalImageRef::Kind::kOciLayout) {
    TRUSTCTL_TRY_ASSIGN(source.layout, image::OciLayout::open(src.path));
    TRUSTCTL_TRY_ASSIGN(source.manifest, source.layout->find(src.ref));
    return source;
  }
  TRUSTCTL_TRY(make_scratch(ctx, "push", source.scratch));
  TRUSTCTL_TRY_ASSIGN(source.layout, image::OciLayout::create(source.scratch->path()));
  TRUSTCTL_TRY_ASSIGN(auto imported,
                      image::import_docker_archive(src.path, src.ref, *source.layout));
  source.manifest = imported.manifest;
  return source;
}

// Signs what was pushed: exactly that digest, never whatever the tag points at afterwards.
Status sign_pushed(Context& ctx, const References& refs, const std::string& digest) {
  auto signed_tags = [&]() -> Status {
    TRUSTCTL_TRY_ASSIGN(auto access, open_trust(refs.repository, ctx));
    const bool init = ctx.has("init") || keystore::stdin_is_tty();
    TRUSTCTL_TRY(
        trust::sign(*access->publisher, *access->manifests, {{refs.tags.front(), digest}}, init));
    return {};
  }();
  if (signed_tags) return {};
  const std::string ref = refs.repository.name() + ":" + refs.tags.front();
  return Error(ErrorCode::kNotSigned, "pushed " + ref + " (" + digest +
                                          ") but NOT signed: " + signed_tags.error().message() +
                                          ". Sign it with: trustctl sign --digest " + digest + " " +
                                          ref);
}

Status push(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto src, image::parse_local_image(ctx.args[0]));
  TRUSTCTL_TRY_ASSIGN(auto refs, parse_references({ctx.args[1]}, true));
  if (!refs.digest.empty())
    return Error(ErrorCode::kUsage, "push takes REF[:TAG], not a digest (the digest is pushed)");
  TRUSTCTL_TRY_ASSIGN(auto options, transfer_options(ctx));
  TRUSTCTL_TRY_ASSIGN(auto source, open_source(ctx, src));
  TransferDisplay display(ctx.err, stderr_is_tty(), ctx.has("quiet"),
                          refs.repository.name() + ":" + refs.tags.front());
  options.progress = display.sink();
  TRUSTCTL_TRY_ASSIGN(
      auto result,
      transfer::push_image(clients_for(refs.repository, ctx), *source.layout, source.manifest,
                           refs.repository.repository, refs.tags.front(), "", options));
  display.finish(result, "pushed");
  const bool sign = !ctx.has("no-sign");
  if (sign) TRUSTCTL_TRY(sign_pushed(ctx, refs, result.manifest.digest));
  emit(ctx, PushReport{ctx.args[0], ctx.args[1], sign, std::move(result)});
  return {};
}

Status pull(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto refs, parse_references({ctx.args[0]}, true));
  TRUSTCTL_TRY_ASSIGN(auto dest, image::parse_local_image(ctx.args[1]));
  std::optional<registry::Platform> platform;
  if (auto p = ctx.value("platform")) {
    TRUSTCTL_TRY_ASSIGN(platform, transfer::parse_platform(*p));
  }
  TRUSTCTL_TRY_ASSIGN(auto options, transfer_options(ctx));
  const bool verified = !content_trust_disabled(ctx);
  TRUSTCTL_TRY_ASSIGN(auto target,
                      verified ? trusted_target(ctx, refs) : unverified_target(ctx, refs));
  const bool archive = dest.kind == image::LocalImageRef::Kind::kDockerArchive;
  if (archive && registry::is_index_media_type(target.media_type) && !platform)
    return Error(ErrorCode::kUsage, ctx.args[0] +
                                        " is a multi-platform index; a docker-archive holds one "
                                        "image: choose it with --platform OS/ARCH");
  std::string ref = archive ? "image" : dest.ref;
  if (ref.empty()) ref = refs.tags.empty() ? refs.digest : refs.tags.front();
  std::optional<trust::ScratchDir> scratch;
  if (archive) TRUSTCTL_TRY(make_scratch(ctx, "pull", scratch));
  TRUSTCTL_TRY_ASSIGN(auto layout, image::OciLayout::create(archive ? scratch->path() : dest.path));
  TransferDisplay display(ctx.err, stderr_is_tty(), ctx.has("quiet"), pulled_name(refs));
  options.progress = display.sink();
  TRUSTCTL_TRY_ASSIGN(auto result, transfer::pull_image(clients_for(refs.repository, ctx),
                                                        refs.repository.repository, target, layout,
                                                        ref, platform, options));
  display.finish(result, "pulled");
  if (archive)
    TRUSTCTL_TRY(image::write_docker_archive(dest.path, layout, result.manifest, dest.ref));
  emit(ctx, PullReport{ctx.args[0], ctx.args[1], verified, target.digest, std::move(result)});
  return {};
}

}  // namespace

std::vector<CommandSpec> image_commands() {
  return {
      {"pull",
       "Pull a signed image into an OCI layout (tag resolved through trust data)",
       "Resolve REF through the verified trust data (never through the registry's tag), fetch "
       "the manifest by its signed digest and every manifest, config and layer it names, each "
       "checked against its digest as it streams, and write them to DEST: an OCI image layout "
       "that skopeo and umoci read, or a docker-archive that 'docker load' reads. Blobs already in "
       "DEST are re-hashed and reused; a mismatch "
       "leaves no partial blob and index.json unchanged. An unsigned tag is refused (exit 10) "
       "unless --disable-content-trust or TRUSTCTL_CONTENT_TRUST=0. Progress goes to stderr: live "
       "per-blob lines on a terminal, one summary line at the end (--quiet: none).",
       {{"REF[:TAG|@DIGEST]", "the image (no tag means latest)", ValueKind::kReference},
        {"DEST", "oci:DIR[:REF] (REF defaults to the tag), or docker-archive:FILE[:REPO:TAG]",
         ValueKind::kText}},
       {{"platform", '\0', "OS/ARCH[/VARIANT]", "Of an index, take only this platform's image",
         ValueKind::kText},
        {"disable-content-trust", '\0', "", "Pull without verifying (docker's flag)"},
        kJobsFlag,
        kQuietFlag},
       kTrustFlags,
       {"trustctl pull localhost:5000/secure-app:signed oci:./secure-app",
        "trustctl pull --platform linux/arm64 localhost:5000/secure-app:multi oci:./out:multi"},
       {"TRUSTCTL_CONTENT_TRUST", "TRUSTCTL_TRUST_DIR", "TRUSTCTL_TOFU"},
       pull},
      {"push",
       "Push an image from an OCI layout or docker-archive and sign the digest pushed",
       "Upload SRC's image to REF: the blobs the registry lacks (several at once, each re-hashed "
       "as it is read), an index's manifests, then the manifest under TAG; then sign exactly the "
       "digest pushed, never what the tag points at afterwards. A signing failure after a "
       "successful upload fails the push with exit 15, 'pushed but NOT signed', naming the "
       "command that finishes the job. The first push of a repository creates its keys on a "
       "terminal; without one it needs --init. Progress goes to stderr as for pull (--quiet: "
       "none).",
       {{"SRC", "oci:DIR[:REF] or docker-archive:FILE[:REPO:TAG]", ValueKind::kText},
        {"REF[:TAG]", "where to push (no tag means latest)", ValueKind::kReference}},
       {{"no-sign", '\0', "", "Push without signing"},
        {"init", '\0', "", "Create keys and trust data if the repository has none"},
        kJobsFlag,
        kQuietFlag},
       kTrustFlags | kPublishFlags,
       {"trustctl push --init oci:./layout:secure-app localhost:5000/secure-app:signed",
        "trustctl push docker-archive:app.tar localhost:5000/secure-app:v2"},
       {"TRUSTCTL_ROOT_PASSPHRASE", "TRUSTCTL_REPOSITORY_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       push},
  };
}

}  // namespace trustctl::cli
