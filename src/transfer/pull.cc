// pull: a verified manifest and everything it references, from the registry into an OCI image
// layout. The chain of digests starts at the caller's trusted target: each manifest is fetched
// by the digest its parent names (the registry client checks the bytes), each blob is hashed
// as it streams into a temporary file of the layout and renamed into place only when it
// matches, and index.json is written last.
#include <set>

#include "parallel.h"
#include "trustctl/transfer/transfer.h"
#include "walk.h"

namespace trustctl::transfer {
namespace {

// Whether the layout already holds `d` intact (re-hashed: a file there is not trusted).
bool holds_intact(const image::OciLayout& layout, const registry::Descriptor& d) {
  if (!layout.has_blob(d)) return false;
  return layout.read_blob(d, [](std::string_view) { return true; }).ok();
}

}  // namespace

Result<registry::Platform> parse_platform(const std::string& text) {
  registry::Platform p;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t slash; (slash = text.find('/', start)) != std::string::npos; start = slash + 1)
    parts.push_back(text.substr(start, slash - start));
  parts.push_back(text.substr(start));
  bool empty_part = false;
  for (const auto& part : parts) empty_part |= part.empty();
  if (parts.size() < 2 || parts.size() > 3 || empty_part)
    return Error(ErrorCode::kUsage,
                 "invalid platform '" + text + "': use os/arch or os/arch/variant (linux/arm64)");
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Result<TransferResult> pull_image(const ClientFactory& clients, const std::string& repository,
                                  const registry::Descriptor& target, image::OciLayout& layout,
                                  const std::string& ref,
                                  const std::optional<registry::Platform>& platform,
                                  const TransferOptions& options) {
  auto client = clients();
  std::set<std::string> seen;
  TRUSTCTL_TRY_ASSIGN(auto plan,
                      detail::plan_from_registry(*client, repository, target, platform, seen));
  TransferResult result;
  std::vector<registry::Descriptor> missing;
  for (const auto& blob : plan.blobs) {
    if (holds_intact(layout, blob)) {
      ++result.blobs_reused;
      if (options.progress) options.progress({blob.digest, blob.size, blob.size, true});
    } else {
      missing.push_back(blob);
    }
  }
  std::function<std::unique_ptr<registry::RegistryClient>()> make = clients;
  TRUSTCTL_TRY(detail::run_parallel<std::unique_ptr<registry::RegistryClient>>(
      missing.size(), options.jobs, make,
      [&](std::unique_ptr<registry::RegistryClient>& worker, std::size_t i) {
        return detail::fetch_blob(*worker, repository, missing[i], layout, options.progress);
      }));
  for (const auto& blob : missing) {
    ++result.blobs_transferred;
    result.bytes_transferred += blob.size;
  }
  for (const auto& [descriptor, bytes] : plan.manifests)
    TRUSTCTL_TRY(layout.put_blob(descriptor, bytes));
  TRUSTCTL_TRY(layout.tag(ref, plan.top));
  result.manifest = plan.top;
  return result;
}

}  // namespace trustctl::transfer
