// read_workloads(): which reader a file needs, by its content.
#include "trustctl/admission/workloads.h"

#include <algorithm>

#include "readers.h"
#include "trustctl/core/fs.h"
#include "yaml_util.h"

namespace trustctl::admission {

bool TmpfsMount::has(std::string_view option) const {
  return std::find(options.begin(), options.end(), option) != options.end();
}

std::string_view kind_name(ContainerKind kind) {
  switch (kind) {
    case ContainerKind::kContainer:
      return "container";
    case ContainerKind::kInit:
      return "init";
    case ContainerKind::kEphemeral:
      return "ephemeral";
  }
  return "?";
}

Result<Document> read_workloads(const std::string& path, const ReadOptions& options) {
  TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_file(path));
  TRUSTCTL_TRY_ASSIGN(auto docs, load_all(text, path));
  std::vector<YAML::Node> objects;
  for (const auto& d : docs)
    if (d.IsDefined() && !d.IsNull()) objects.push_back(d);
  if (objects.empty()) return usage_at(path, 1, "no YAML document in the file");
  const YAML::Node& first = objects.front();
  if (!first.IsMap())
    return usage_at(path, first, "neither a compose file nor Kubernetes objects (not a map)");
  if (objects.size() == 1 && first["services"] && !first["apiVersion"])
    return read_compose_node(first, path, options);
  if (first["apiVersion"] || first["kind"]) return read_kubernetes_nodes(objects, path);
  return usage_at(path, first,
                  "neither a compose file (top-level `services`) nor Kubernetes objects "
                  "(`apiVersion` and `kind`)");
}

}  // namespace trustctl::admission
