// push: an image of an OCI image layout into the registry. Blobs first (only those the
// registry lacks; each re-hashed as it is read from the layout, so a blob altered on disk is
// never completed), then an index's child manifests by digest, then the manifest under its tag.
#include <set>

#include "parallel.h"
#include "trustctl/registry/blob_source.h"
#include "trustctl/transfer/transfer.h"

namespace trustctl::transfer {
namespace {

struct Upload {
  std::vector<std::pair<registry::Descriptor, std::string>> children;  // by digest, first
  std::string top_bytes;
  std::vector<registry::Descriptor> blobs;  // configs and layers, unique
};

Status add_blobs(const registry::Manifest& m, std::set<std::string>& seen,
                 std::vector<registry::Descriptor>& blobs) {
  if (m.is_index())
    return Error(ErrorCode::kUnsupported, "the index names another index (" + m.descriptor.digest +
                                              "); push takes an index of image manifests");
  if (!m.config.digest.empty() && seen.insert(m.config.digest).second) blobs.push_back(m.config);
  for (const auto& layer : m.layers)
    if (seen.insert(layer.digest).second) blobs.push_back(layer);
  return {};
}

Result<Upload> plan_push(const image::OciLayout& layout, const registry::Descriptor& manifest) {
  Upload up;
  std::set<std::string> seen;
  TRUSTCTL_TRY_ASSIGN(up.top_bytes, layout.read_small_blob(manifest));
  TRUSTCTL_TRY_ASSIGN(auto top, registry::parse_manifest(up.top_bytes, manifest.media_type));
  if (!top.is_index()) {
    TRUSTCTL_TRY(add_blobs(top, seen, up.blobs));
    return up;
  }
  for (const auto& child : top.manifests) {
    TRUSTCTL_TRY_ASSIGN(auto bytes, layout.read_small_blob(child));
    TRUSTCTL_TRY_ASSIGN(auto m, registry::parse_manifest(bytes, child.media_type));
    TRUSTCTL_TRY(add_blobs(m, seen, up.blobs));
    up.children.emplace_back(child, std::move(bytes));
  }
  return up;
}

Status upload_one(registry::RegistryClient& client, const std::string& repository,
                  const image::OciLayout& layout, const registry::Descriptor& d,
                  const std::string& mount_from, const ProgressSink& progress, bool& sent) {
  TRUSTCTL_TRY_ASSIGN(auto path, layout.blob_path(d));
  auto source = registry::file_blob_source(path, d.digest, d.size);
  registry::TransferProgress on_bytes;
  if (progress) on_bytes = [&](std::int64_t done) { progress({d.digest, done, d.size, false}); };
  auto outcome = client.upload_blob(repository, source, mount_from, on_bytes);
  if (!outcome) return outcome.error().wrap("blob " + d.digest);
  sent = *outcome == registry::BlobUpload::kUploaded;
  if (progress && !sent) progress({d.digest, d.size, d.size, true});
  return {};
}

}  // namespace

Result<TransferResult> push_image(const ClientFactory& clients, const image::OciLayout& layout,
                                  const registry::Descriptor& manifest,
                                  const std::string& repository, const std::string& tag,
                                  const std::string& mount_from, const TransferOptions& options) {
  TRUSTCTL_TRY_ASSIGN(auto up, plan_push(layout, manifest));
  std::vector<char> sent(up.blobs.size(), 0);
  std::function<std::unique_ptr<registry::RegistryClient>()> make = clients;
  auto uploads = detail::run_parallel<std::unique_ptr<registry::RegistryClient>>(
      up.blobs.size(), options.jobs, make,
      [&](std::unique_ptr<registry::RegistryClient>& worker, std::size_t i) -> Status {
        bool uploaded = false;
        TRUSTCTL_TRY(upload_one(*worker, repository, layout, up.blobs[i], mount_from,
                                options.progress, uploaded));
        sent[i] = uploaded;
        return Status{};
      });
  TRUSTCTL_TRY(uploads);
  TransferResult result;
  for (std::size_t i = 0; i < up.blobs.size(); ++i) {
    if (!sent[i]) {
      ++result.blobs_reused;
      continue;
    }
    ++result.blobs_transferred;
    result.bytes_transferred += up.blobs[i].size;
  }
  auto client = clients();
  for (const auto& [child, bytes] : up.children)
    TRUSTCTL_TRY(client->put_manifest(repository, child.digest, child.media_type, bytes));
  TRUSTCTL_TRY_ASSIGN(result.manifest,
                      client->put_manifest(repository, tag, manifest.media_type, up.top_bytes));
  if (result.manifest.digest != manifest.digest)
    return Error(ErrorCode::kInternal,
                 "pushed " + result.manifest.digest + ", expected " + manifest.digest);
  return result;
}

}  // namespace trustctl::transfer
