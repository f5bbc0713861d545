// pull: a verified manifest and everything it references, from the registry into an OCI image
// layout. The chain of digests starts at the caller's trusted target: each manifest is fetched
// by the digest its parent names (the registry client checks the bytes), each blob is hashed
// as it streams into a temporary file of the layout and renamed into place only when it
// matches, and index.json is written last.
#include <map>
#include <set>

#include "parallel.h"
#include "trustctl/transfer/transfer.h"

namespace trustctl::transfer {
namespace {

struct Plan {
  registry::Descriptor top;                                             // what `ref` will name
  std::vector<std::pair<registry::Descriptor, std::string>> manifests;  // children first
  std::vector<registry::Descriptor> blobs;  // configs and layers, unique
};

bool matches(const registry::Platform& have, const registry::Platform& want) {
  return have.os == want.os && have.architecture == want.architecture &&
         (want.variant.empty() || have.variant == want.variant);
}

// The manifest `d` by its digest, its size checked against the descriptor that names it.
Result<registry::Manifest> manifest_named(registry::RegistryClient& client,
                                          const std::string& repository,
                                          const registry::Descriptor& d) {
  TRUSTCTL_TRY_ASSIGN(auto m, client.get_manifest(repository, d.digest));
  if (static_cast<std::int64_t>(m.bytes.size()) != d.size)
    return Error(ErrorCode::kIntegrity, "the manifest " + d.digest + " is " +
                                            std::to_string(m.bytes.size()) + " bytes, not the " +
                                            std::to_string(d.size) + " its descriptor gives");
  return m;
}

void add_image(Plan& plan, std::set<std::string>& seen, registry::Manifest m) {
  if (!m.config.digest.empty() && seen.insert(m.config.digest).second)
    plan.blobs.push_back(m.config);
  for (const auto& layer : m.layers)
    if (seen.insert(layer.digest).second) plan.blobs.push_back(layer);
  plan.manifests.emplace_back(m.descriptor, std::move(m.bytes));
}

// The index's children to copy: all of them, or the one for `platform`.
Result<std::vector<registry::Descriptor>> chosen_children(
    const registry::Manifest& index, const std::optional<registry::Platform>& platform) {
  if (!platform) return index.manifests;
  std::string available;
  for (const auto& child : index.manifests) {
    if (matches(child.platform, *platform)) return std::vector<registry::Descriptor>{child};
    available += (available.empty() ? "" : ", ") + child.platform.string();
  }
  return Error(ErrorCode::kNotFound, "the image has no manifest for platform " +
                                         platform->string() + " (it has: " + available + ")");
}

Result<Plan> plan_pull(registry::RegistryClient& client, const std::string& repository,
                       const registry::Descriptor& target,
                       const std::optional<registry::Platform>& platform) {
  Plan plan;
  std::set<std::string> seen;
  TRUSTCTL_TRY_ASSIGN(auto top, manifest_named(client, repository, target));
  if (!top.is_index()) {
    plan.top = top.descriptor;
    add_image(plan, seen, std::move(top));
    return plan;
  }
  TRUSTCTL_TRY_ASSIGN(auto children, chosen_children(top, platform));
  for (const auto& child : children) {
    TRUSTCTL_TRY_ASSIGN(auto m, manifest_named(client, repository, child));
    if (m.is_index())
      return Error(ErrorCode::kUnsupported, "the index " + target.digest +
                                                " names another index (" + child.digest +
                                                "); pull copies an index of image manifests");
    if (platform) plan.top = child;
    add_image(plan, seen, std::move(m));
  }
  if (!platform) {
    plan.top = top.descriptor;
    plan.manifests.emplace_back(top.descriptor, std::move(top.bytes));
  }
  return plan;
}

// Whether the layout already holds `d` intact (re-hashed: a file there is not trusted).
bool holds_intact(const image::OciLayout& layout, const registry::Descriptor& d) {
  if (!layout.has_blob(d)) return false;
  return layout.read_blob(d, [](std::string_view) { return true; }).ok();
}

Status fetch_blob(registry::RegistryClient& client, const std::string& repository,
                  const registry::Descriptor& d, image::OciLayout& layout,
                  const ProgressSink& progress) {
  TRUSTCTL_TRY_ASSIGN(auto writer, layout.write_blob(d));
  std::optional<Error> write_error;
  std::int64_t done = 0;
  auto st = client.get_blob(
      repository, d.digest, d.size,
      [&](std::string_view chunk) {
        if (auto w = writer.write(chunk); !w) {
          write_error = w.error();
          return false;
        }
        done += static_cast<std::int64_t>(chunk.size());
        if (progress) progress({d.digest, done, d.size, false});
        return true;
      },
      [&] {  // a retry starts over: so does the file
        writer.abort();
        done = 0;
        if (auto again = layout.write_blob(d)) writer = std::move(again).value();
      });
  if (write_error) return write_error->wrap("writing blob " + d.digest);
  if (!st) return st.error().wrap("blob " + d.digest);
  return writer.commit();
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
  TRUSTCTL_TRY_ASSIGN(auto plan, plan_pull(*client, repository, target, platform));
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
        return fetch_blob(*worker, repository, missing[i], layout, options.progress);
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
