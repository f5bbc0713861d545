// The four manifest media types and what trustctl reads from them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::registry {

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
}  // namespace media_type

bool is_manifest_media_type(std::string_view media_type);
bool is_index_media_type(std::string_view media_type);
// The Accept header value naming all four manifest types.
std::string manifest_accept_header();

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string string() const;  // "linux/arm64/v8"
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::int64_t size = 0;
  Platform platform;  // index entries only
  std::string artifact_type;
  std::map<std::string, std::string> annotations;
};

// A manifest as fetched: its exact bytes plus what was parsed out of them.
struct Manifest {
  Descriptor descriptor;  // media type, digest and size of `bytes`
  std::string bytes;
  // Image manifests:
  Descriptor config;
  std::vector<Descriptor> layers;
  // Indexes:
  std::vector<Descriptor> manifests;
  std::string artifact_type;
  std::map<std::string, std::string> annotations;

  bool is_index() const { return is_index_media_type(descriptor.media_type); }
};

// Parses `bytes` served with `content_type`. The body's own mediaType wins when the header is
// missing or generic; a body whose mediaType contradicts a specific header is kProtocol, as is
// malformed JSON or a descriptor without digest/size.
Result<Manifest> parse_manifest(std::string bytes, std::string_view content_type);

}  // namespace trustctl::registry
