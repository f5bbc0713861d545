// read_workloads(): which reader a file needs, by its content.
#include "trustctl/admission/workloads.h"

#include <algorithm>
#include <cctype>

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

std::string capability_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  if (name.starts_with("CAP_")) name = name.substr(4);
  return name;
}

bool is_docker_socket(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path.ends_with("/docker.sock") || path == "docker.sock";
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
