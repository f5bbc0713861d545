// Moving images between the registry and a local OCI image layout (docs/image-transfer.md):
// pull copies a manifest whose digest the caller verified, and everything it references, into
// a layout, each byte checked against the digest that names it; push uploads a layout's image
// (only the blobs the registry lacks), children of an index first, then the manifest itself;
// copy moves images from one repository to another, fetching only what the destination lacks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/image/layout.h"
#include "trustctl/registry/client.h"

namespace trustctl::transfer {

// Transfers run in parallel on worker threads, each with a client of its own.
using ClientFactory = std::function<std::unique_ptr<registry::RegistryClient>()>;

// Progress of one transfer, called from worker threads (serialised by the caller's sink).
struct BlobProgress {
  std::string digest;
  std::int64_t done = 0;
  std::int64_t size = 0;
  bool reused = false;  // already there: nothing transferred
};
using ProgressSink = std::function<void(const BlobProgress&)>;

struct TransferOptions {
  int jobs = 4;  // blobs in flight at once
  ProgressSink progress;
};

struct TransferResult {
  registry::Descriptor manifest;  // what was written (pull) or pushed (push)
  int blobs_transferred = 0;
  int blobs_reused = 0;  // present already (in the layout, or in the registry)
  std::int64_t bytes_transferred = 0;
};

// pull: copies the manifest `target` (media type, digest and size the caller trusts) and all
// it references from `repository` into `layout`, tagged `ref`. With `platform`, an index is
// narrowed to its one manifest for that platform (os/arch[/variant]), which is then what `ref`
// names; kNotFound listing the platforms it has otherwise. A blob already in the layout is
// re-hashed and kept when it matches. A mismatch anywhere is kIntegrity naming the blob; no
// partial blob stays, and index.json changes only once everything is in place.
Result<TransferResult> pull_image(const ClientFactory& clients, const std::string& repository,
                                  const registry::Descriptor& target, image::OciLayout& layout,
                                  const std::string& ref,
                                  const std::optional<registry::Platform>& platform,
                                  const TransferOptions& options);

// push: uploads the image `manifest` of `layout` to `repository` under `tag`: the blobs the
// registry lacks (mounted from `mount_from` of the same registry when given), re-hashed as
// they are read so that a blob altered on disk is never completed (kIntegrity naming it); an
// index's child manifests by digest; then the manifest. result.manifest is what the registry
// now has under `tag`, its digest computed from the bytes sent.
Result<TransferResult> push_image(const ClientFactory& clients, const image::OciLayout& layout,
                                  const registry::Descriptor& manifest,
                                  const std::string& repository, const std::string& tag,
                                  const std::string& mount_from, const TransferOptions& options);

// One image of a copy: a manifest the caller trusts, and the tag it gets at the destination.
struct CopyItem {
  registry::Descriptor manifest;
  std::string tag;
};

// copy: the images `items` of `from_repository` (clients `from`) and everything they reference
// to `to_repository` (clients `to`), each manifest under its tag, fetched and checked as pull
// does. A blob the destination has is not fetched at all; with `mount_from` (the source
// repository, when both are on one registry) the destination is asked to mount it first.
// Other blobs are fetched from the source into `staging`, checked against their digest, and
// uploaded from there. An index's children go by digest before the index. result.manifest is
// the last item's.
Result<TransferResult> copy_images(const ClientFactory& from, const std::string& from_repository,
                                   const ClientFactory& to, const std::string& to_repository,
                                   const std::vector<CopyItem>& items,
                                   const std::string& mount_from, image::OciLayout& staging,
                                   const TransferOptions& options);

// "linux/arm64/v8" -> Platform; kUsage for anything else.
Result<registry::Platform> parse_platform(const std::string& text);

}  // namespace trustctl::transfer
