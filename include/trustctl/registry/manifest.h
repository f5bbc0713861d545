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

// The largest descriptor size believed (1 TiB): no registry serves a blob that big, and sums of
// sizes stay far from overflowing.
inline constexpr std::int64_t kMaxDescriptorSize = std::int64_t{1} << 40;

// Parses `bytes` served with `content_type`. The body's own mediaType wins when the header is
// missing or generic. What is not a manifest is kIntegrity (exit 12: the registry served bad
// bytes or lies about them): malformed JSON or JSON nested deeper than kMaxJsonDepth, a body
// whose mediaType or shape contradicts a specific header, a descriptor with a malformed digest
// or a negative, non-integer or absurd size. A real manifest of a kind trustctl does not read
// (Docker schema 1, unknown media types) is kUnsupported.
Result<Manifest> parse_manifest(std::string bytes, std::string_view content_type);

}  // namespace trustctl::registry
