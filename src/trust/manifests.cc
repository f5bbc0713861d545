#include "trustctl/trust/manifests.h"

#include "trustctl/registry/digest.h"
#include "trustctl/registry/reference.h"

namespace trustctl::trust {
namespace {

// "registry/repo:tag", with " in DIR" kept at the end.
std::string tag_reference(const std::string& where, const std::string& tag) {
  const auto space = where.find(' ');
  if (space == std::string::npos) return where + ":" + tag;
  return where.substr(0, space) + ":" + tag + where.substr(space);
}

}  // namespace

Result<std::optional<std::string>> RegistryManifests::signed_manifest(const SignedTag& target) {
  auto manifest = client_.get_manifest(ref_.repository, target.digest);
  if (!manifest) {
    if (manifest.error().code() == ErrorCode::kNotFound)
      return Error(ErrorCode::kNotFound, "the signed manifest " + target.digest + " of " +
                                             ref_.name() + ":" + target.tag +
                                             " is not in the registry");
    return manifest.error();
  }
  return std::optional<std::string>(std::move(manifest->bytes));
}

Result<std::optional<std::string>> RegistryManifests::child_manifest(
    const registry::Descriptor& child, const SignedTag& parent) {
  auto manifest = client_.get_manifest(ref_.repository, child.digest);
  if (!manifest) {
    if (manifest.error().code() == ErrorCode::kNotFound)
      return Error(ErrorCode::kNotFound, "the manifest " + child.digest +
                                             " that the signed index " + ref_.name() + ":" +
                                             parent.tag + " names is not in the registry");
    return manifest.error();
  }
  return std::optional<std::string>(std::move(manifest->bytes));
}

Result<SignedTag> RegistryManifests::resolve(const TagRequest& r) {
  if (!registry::is_valid_tag(r.tag))
    return Error(ErrorCode::kUsage, "invalid tag '" + r.tag + "'");
  auto current = client_.head_manifest(ref_.repository, r.tag);
  registry::Descriptor d;
  if (current) {
    d = *current;
    if (!r.digest.empty() && d.digest != r.digest)
      return Error(ErrorCode::kVerification, ref_.name() + ":" + r.tag + " points at " + d.digest +
                                                 " in the registry, not at the expected " +
                                                 r.digest + "; refusing to sign");
  } else if (current.error().code() == ErrorCode::kNotFound && !r.digest.empty()) {
    TRUSTCTL_TRY_ASSIGN(d, client_.head_manifest(ref_.repository, r.digest));
  } else {
    return current.error();
  }
  // Length and hash come from the manifest bytes themselves, never from headers alone.
  TRUSTCTL_TRY_ASSIGN(auto manifest, client_.get_manifest(ref_.repository, d.digest));
  SignedTag t;
  t.tag = r.tag;
  t.digest = manifest.descriptor.digest;
  t.length = static_cast<std::int64_t>(manifest.bytes.size());
  t.media_type = manifest.descriptor.media_type;
  return t;
}

namespace {

constexpr int kMaxIndexDepth = 3;  // an index of indexes of manifests is as deep as it gets

struct ChildCount {
  int checked = 0;
  int unavailable = 0;  // the source cannot show them (an export)
};

// Every manifest the index `bytes` names, fetched by digest and checked against the index's
// descriptor, recursively for nested indexes.
Status check_children(ManifestSource& manifests, const std::string& bytes,
                      const std::string& media_type, const SignedTag& target,
                      const std::string& reference, int depth, ChildCount& count) {
  // Only an index names manifests; anything else signed is checked by its own digest alone.
  if (!media_type.empty() && !registry::is_index_media_type(media_type)) return {};
  TRUSTCTL_TRY_ASSIGN(auto index, registry::parse_manifest(bytes, media_type));
  if (!index.is_index()) return {};
  if (depth > kMaxIndexDepth)
    return Error(ErrorCode::kIntegrity, "the signed index of " + reference +
                                            " nests indexes deeper than " +
                                            std::to_string(kMaxIndexDepth) + " levels");
  for (const auto& child : index.manifests) {
    TRUSTCTL_TRY_ASSIGN(auto child_bytes, manifests.child_manifest(child, target));
    if (!child_bytes) {
      ++count.unavailable;
      continue;
    }
    if (static_cast<std::int64_t>(child_bytes->size()) != child.size ||
        registry::Digest::of(*child_bytes).string() != child.digest)
      return Error(ErrorCode::kIntegrity, "the manifest " + child.digest + " (" +
                                              child.platform.string() + ") of the signed index " +
                                              reference +
                                              " does not match the digest and size the index "
                                              "gives");
    ++count.checked;
    TRUSTCTL_TRY(check_children(manifests, *child_bytes, child.media_type, target, reference,
                                depth + 1, count));
  }
  return {};
}

}  // namespace

Status check_manifest(ManifestSource& manifests, const SignedTag& target,
                      const std::string& reference, TrustedView& view) {
  TRUSTCTL_TRY_ASSIGN(auto bytes, manifests.signed_manifest(target));
  if (!bytes) return {};  // nothing to check here (an export without manifests)
  if (static_cast<std::int64_t>(bytes->size()) != target.length ||
      registry::Digest::of(*bytes).string() != target.digest)
    return Error(ErrorCode::kIntegrity, "the manifest of " + reference + " (" +
                                            std::to_string(bytes->size()) +
                                            " bytes) does not match its signed length " +
                                            std::to_string(target.length) + " and sha256");
  view.checks.push_back(
      {"manifest", true,
       target.digest + ", " + std::to_string(target.length) + " bytes, " + manifests.how()});
  ChildCount count;
  TRUSTCTL_TRY(check_children(manifests, *bytes, target.media_type, target, reference, 1, count));
  if (count.checked + count.unavailable > 0)
    view.checks.push_back(
        {"index", true,
         std::to_string(count.checked) + " manifest(s) the signed index names, by digest and size" +
             (count.unavailable ? "; " + std::to_string(count.unavailable) + " not in this source"
                                : std::string())});
  return {};
}

Result<SignedTag> verify_tag(TrustedView& view, ManifestSource& manifests, const std::string& tag,
                             const std::string& digest, const std::string& where) {
  const std::string reference = tag_reference(where, tag);
  TRUSTCTL_TRY_ASSIGN(auto signed_tag, find_signed_tag(view, tag, reference, digest));
  TRUSTCTL_TRY(check_manifest(manifests, signed_tag, reference, view));
  return signed_tag;
}

Result<std::vector<SignedTag>> verify_digest(TrustedView& view, ManifestSource& manifests,
                                             const std::string& digest, const std::string& where) {
  TRUSTCTL_TRY_ASSIGN(auto matches, find_signed_digest(view, digest, where));
  TRUSTCTL_TRY(
      check_manifest(manifests, matches.front(), tag_reference(where, matches.front().tag), view));
  return matches;
}

}  // namespace trustctl::trust
