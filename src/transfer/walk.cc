#include "walk.h"

namespace trustctl::transfer::detail {
namespace {

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

}  // namespace

Result<Plan> plan_from_registry(registry::RegistryClient& client, const std::string& repository,
                                const registry::Descriptor& target,
                                const std::optional<registry::Platform>& platform,
                                std::set<std::string>& seen) {
  Plan plan;
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
                                                "); only an index of image manifests is copied");
    if (platform) plan.top = child;
    add_image(plan, seen, std::move(m));
  }
  if (!platform) {
    plan.top = top.descriptor;
    plan.manifests.emplace_back(top.descriptor, std::move(top.bytes));
  }
  return plan;
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

}  // namespace trustctl::transfer::detail
