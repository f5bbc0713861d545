// `docker save` archives (docker-archive: in skopeo's words): imported into an OCI layout for
// push, written from a layout for pull.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"
#include "trustctl/image/layout.h"
#include "trustctl/registry/manifest.h"

namespace trustctl::image {

namespace media_type {
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

// Caps on what is believed from an archive (it may come from anyone).
inline constexpr std::uint64_t kMaxArchiveEntries = 16384;
inline constexpr std::uint64_t kMaxArchiveManifestBytes = 1u << 20;  // manifest.json
inline constexpr std::uint64_t kMaxArchiveConfigBytes = 16u << 20;   // the image config
inline constexpr std::size_t kMaxArchiveLayers = 1000;

struct ImportedImage {
  registry::Descriptor manifest;  // the Docker schema2 manifest, stored and tagged in the layout
  std::string repo_tag;           // the RepoTags entry chosen; empty for an untagged image
  std::string layout_ref;         // the ref it is tagged with in the layout (repo_tag or "latest")
};

// Reads a `docker save` tarball (also what `skopeo copy ... docker-archive:` writes; symlinked
// duplicate layers of older docker versions are followed inside the archive) and stores its
// config, its layers and a Docker schema2 manifest built for them into `layout`, so the
// pusher has one source format. `repo_tag` ("REPO:TAG") picks the image among the archive's
// RepoTags; empty: the only image (kUsage naming the choices when there are several). Layer
// media types come from the bytes: gzip magic -> ...diff.tar.gzip, a tar -> ...diff.tar;
// anything else (zstd, xz, bzip2, junk) is kUnsupported. Hostile archives are kIntegrity with
// the entry named: absolute or `..` names, bad header checksums, more than kMaxArchiveEntries
// entries, an oversized manifest.json or config, a layer or config that is missing, a link that
// leaves the archive, an uncompressed layer that differs from the config's diff_id.
Result<ImportedImage> import_docker_archive(const std::string& file, const std::string& repo_tag,
                                            OciLayout& layout);

// Writes the image manifest `manifest` of `layout` (Docker schema2 or OCI; an index is kUsage:
// pick a platform first) as a tarball `docker load` accepts: manifest.json, <config hex>.json
// and one file per layer, <hex>.tar or <hex>.tar.gz, kept as they are stored. RepoTags is
// [repo_tag], or null when empty. Written to a temporary file beside `file`, verified blob by
// blob while copying, then renamed: no half-written archive is ever left under `file`.
Status write_docker_archive(const std::string& file, const OciLayout& layout,
                            const registry::Descriptor& manifest, const std::string& repo_tag);

}  // namespace trustctl::image
