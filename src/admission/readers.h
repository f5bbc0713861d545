// The readers over already loaded YAML, for read_workloads() to dispatch to.
#pragma once

#include <yaml-cpp/yaml.h>

#include "trustctl/admission/workloads.h"

namespace trustctl::admission {

Result<Document> read_compose_node(const YAML::Node& root, const std::string& file,
                                   const ReadOptions& options);
Result<Document> read_kubernetes_nodes(const std::vector<YAML::Node>& docs,
                                       const std::string& file);

}  // namespace trustctl::admission
