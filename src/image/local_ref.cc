// The SRC/DEST strings of push and pull that name a local image (skopeo's transports).
#include "trustctl/image/layout.h"
#include "trustctl/registry/reference.h"

namespace trustctl::image {
namespace {

constexpr char kForms[] =
    "expected oci:DIR[:REF] (an OCI image layout) or docker-archive:FILE[:REPO:TAG] (a docker "
    "save tarball)";

Error usage(std::string_view text, const std::string& why) {
  return Error(ErrorCode::kUsage, "'" + std::string(text) + "': " + why + "; " + kForms);
}

// "REPO:TAG" in docker's grammar: a tag is required (an archive names images by tag), a digest
// is not accepted.
bool is_repo_tag(const std::string& ref) {
  auto parsed = registry::Reference::parse(ref);
  return parsed && !parsed->tag.empty() && parsed->digest.empty();
}

}  // namespace

Result<LocalImageRef> parse_local_image(std::string_view text) {
  LocalImageRef out;
  std::string_view rest;
  if (text.rfind("oci:", 0) == 0) {
    out.kind = LocalImageRef::Kind::kOciLayout;
    rest = text.substr(4);
  } else if (text.rfind("docker-archive:", 0) == 0) {
    out.kind = LocalImageRef::Kind::kDockerArchive;
    rest = text.substr(15);
  } else {
    return usage(text, "not a local image");
  }
  const auto colon = rest.find(':');
  out.path = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) out.ref = std::string(rest.substr(colon + 1));
  if (out.path.empty()) return usage(text, "the path is empty");
  if (colon != std::string_view::npos && out.ref.empty())
    return usage(text, "the reference after ':' is empty");
  if (out.kind == LocalImageRef::Kind::kDockerArchive && !out.ref.empty() && !is_repo_tag(out.ref))
    return usage(text, "a docker-archive reference must be REPO:TAG");
  return out;
}

}  // namespace trustctl::image
