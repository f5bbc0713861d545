// The readers over already loaded YAML, for read_workloads() to dispatch to.
#pragma once

#include <yaml-cpp/yaml.h>

#include "trustctl/admission/workloads.h"

namespace trustctl::admission {

// A capability as both formats compare it: upper case, without the CAP_ prefix.
std::string capability_name(std::string name);
// Whether a mount source is the Docker daemon's socket (.../docker.sock).
bool is_docker_socket(std::string_view path);

Result<Document> read_compose_node(const YAML::Node& root, const std::string& file,
                                   const ReadOptions& options);
Result<Document> read_kubernetes_nodes(const std::vector<YAML::Node>& docs,
                                       const std::string& file);

}  // namespace trustctl::admission
