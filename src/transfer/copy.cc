// copy: images from one repository to another (of the same registry or another one), without a
// local image format in between. Only what the destination lacks is fetched: a blob it has is
// skipped, one it can mount from the source repository (one registry) is mounted, and the others
// are staged in a scratch layout, checked against their digest, and uploaded from there.
#include <set>

#include "parallel.h"
#include "trustctl/registry/blob_source.h"
#include "trustctl/transfer/transfer.h"
#include "walk.h"

namespace trustctl::transfer {
namespace {

struct Route {
  std::string from_repository;
  std::string to_repository;
  std::string mount_from;  // the source repository when both are on one registry
};

struct Workers {
  std::unique_ptr<registry::RegistryClient> from;
  std::unique_ptr<registry::RegistryClient> to;
};

Result<registry::BlobUpload> copy_blob(Workers& w, const Route& route,
                                       const registry::Descriptor& d, image::OciLayout& staging,
                                       const ProgressSink& progress) {
  auto stage = [&]() -> Status {
    if (staging.has_blob(d)) return {};
    return detail::fetch_blob(*w.from, route.from_repository, d, staging, progress);
  };
  if (route.mount_from.empty()) {
    // Staged before the upload session opens, so that no PUT waits for the source.
    TRUSTCTL_TRY_ASSIGN(bool present, w.to->blob_exists(route.to_repository, d.digest));
    if (present) return registry::BlobUpload::kPresent;
    TRUSTCTL_TRY(stage());
  }
  registry::BlobSource source;
  source.digest = d.digest;
  source.size = d.size;
  // With a mount, the source is read only when the registry answers it with an upload session.
  source.open = [&]() -> Result<std::unique_ptr<registry::ByteReader>> {
    TRUSTCTL_TRY(stage());
    TRUSTCTL_TRY_ASSIGN(auto path, staging.blob_path(d));
    return registry::file_blob_source(path, d.digest, d.size).open();
  };
  registry::TransferProgress on_bytes;
  if (progress) on_bytes = [&](std::int64_t done) { progress({d.digest, done, d.size, false}); };
  return w.to->upload_blob(route.to_repository, source, route.mount_from, on_bytes);
}

}  // namespace

Result<TransferResult> copy_images(const ClientFactory& from, const std::string& from_repository,
                                   const ClientFactory& to, const std::string& to_repository,
                                   const std::vector<CopyItem>& items,
                                   const std::string& mount_from, image::OciLayout& staging,
                                   const TransferOptions& options) {
  const Route route{from_repository, to_repository, mount_from};
  auto source = from();
  std::set<std::string> seen;
  std::vector<detail::Plan> plans;
  std::vector<registry::Descriptor> blobs;
  for (const auto& item : items) {
    TRUSTCTL_TRY_ASSIGN(auto plan, detail::plan_from_registry(*source, from_repository,
                                                              item.manifest, std::nullopt, seen));
    blobs.insert(blobs.end(), plan.blobs.begin(), plan.blobs.end());
    plans.push_back(std::move(plan));
  }

  std::vector<registry::BlobUpload> outcomes(blobs.size(), registry::BlobUpload::kPresent);
  std::function<Workers()> make = [&] { return Workers{from(), to()}; };
  TRUSTCTL_TRY(detail::run_parallel<Workers>(
      blobs.size(), options.jobs, make, [&](Workers& w, std::size_t i) -> Status {
        auto outcome = copy_blob(w, route, blobs[i], staging, options.progress);
        if (!outcome) return outcome.error().wrap("blob " + blobs[i].digest);
        outcomes[i] = *outcome;
        if (options.progress && *outcome != registry::BlobUpload::kUploaded)
          options.progress({blobs[i].digest, blobs[i].size, blobs[i].size, true});
        return Status{};
      }));

  TransferResult result;
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    if (outcomes[i] != registry::BlobUpload::kUploaded) {
      ++result.blobs_reused;
      continue;
    }
    ++result.blobs_transferred;
    result.bytes_transferred += blobs[i].size;
  }
  auto dest = to();
  for (std::size_t n = 0; n < items.size(); ++n) {
    const auto& plan = plans[n];
    const std::string* top_bytes = nullptr;
    for (const auto& [descriptor, bytes] : plan.manifests) {
      if (descriptor.digest == plan.top.digest) {
        top_bytes = &bytes;
        continue;
      }
      TRUSTCTL_TRY(
          dest->put_manifest(to_repository, descriptor.digest, descriptor.media_type, bytes));
    }
    if (!top_bytes) return Error(ErrorCode::kInternal, "copy: no manifest for " + plan.top.digest);
    TRUSTCTL_TRY_ASSIGN(
        auto put, dest->put_manifest(to_repository, items[n].tag, plan.top.media_type, *top_bytes));
    if (put.digest != plan.top.digest)
      return Error(ErrorCode::kInternal, "copied " + put.digest + ", expected " + plan.top.digest);
    result.manifest = put;
  }
  return result;
}

}  // namespace trustctl::transfer
