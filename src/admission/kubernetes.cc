// The Kubernetes reader: pod templates of the workload kinds, pod-level security settings
// with container-level overrides (docs/admission.md).
#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "readers.h"
#include "yaml_util.h"

namespace trustctl::admission {
namespace {

// Where each workload kind keeps its pod spec.
const std::map<std::string, std::vector<std::string>> kPodSpecPath = {
    {"Pod", {"spec"}},
    {"Deployment", {"spec", "template", "spec"}},
    {"StatefulSet", {"spec", "template", "spec"}},
    {"DaemonSet", {"spec", "template", "spec"}},
    {"ReplicaSet", {"spec", "template", "spec"}},
    {"ReplicationController", {"spec", "template", "spec"}},
    {"Job", {"spec", "template", "spec"}},
    {"CronJob", {"spec", "jobTemplate", "spec", "template", "spec"}},
};

// node[key] for a map that has it; an undefined node otherwise (never throws).
YAML::Node get(const YAML::Node& node, const char* key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string scalar_or(const YAML::Node& n, std::string fallback = "") {
  return n && n.IsScalar() ? n.Scalar() : fallback;
}

class KubeReader {
 public:
  explicit KubeReader(const std::string& file) : file_(file) {}

  Result<std::optional<bool>> boolean(const YAML::Node& node, std::string_view field) {
    if (!node || node.IsNull()) return std::optional<bool>();
    if (!node.IsScalar())
      return usage_at(file_, node, std::string(field) + " must be true or false");
    const std::string& v = node.Scalar();
    if (v == "true" || v == "True" || v == "TRUE") return std::optional<bool>(true);
    if (v == "false" || v == "False" || v == "FALSE") return std::optional<bool>(false);
    return usage_at(file_, node, std::string(field) + ": \"" + v + "\" is not true or false");
  }

  Result<std::optional<long long>> integer(const YAML::Node& node, std::string_view field) {
    if (!node || node.IsNull()) return std::optional<long long>();
    std::string v = scalar_or(node);
    bool digits = !v.empty() && v.size() < 12 && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits)
      return usage_at(file_, node, std::string(field) + ": \"" + v + "\" is not a number");
    return std::optional<long long>(std::stoll(v));
  }

  Result<std::vector<std::string>> strings(const YAML::Node& node, std::string_view field) {
    std::vector<std::string> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsSequence()) return usage_at(file_, node, std::string(field) + " must be a list");
    for (const auto& item : node) {
      if (!item.IsScalar())
        return usage_at(file_, item, std::string(field) + ": entries are names");
      out.push_back(item.Scalar());
    }
    return out;
  }

  // The user-related part of a securityContext, pod or container level.
  struct Identity {
    std::optional<bool> run_as_non_root;
    std::optional<long long> run_as_user;
    std::optional<std::string> seccomp;
  };

  Status identity(const YAML::Node& sc, std::string_view where, Identity& id) {
    if (!sc || sc.IsNull()) return {};
    if (!sc.IsMap()) return usage_at(file_, sc, std::string(where) + " must be a map");
    TRUSTCTL_TRY_ASSIGN(auto non_root, boolean(get(sc, "runAsNonRoot"), "runAsNonRoot"));
    if (non_root) id.run_as_non_root = non_root;
    TRUSTCTL_TRY_ASSIGN(auto user, integer(get(sc, "runAsUser"), "runAsUser"));
    if (user) id.run_as_user = user;
    if (auto sp = get(sc, "seccompProfile"); sp && sp.IsMap() && get(sp, "type"))
      id.seccomp = scalar_or(get(sp, "type"));
    return {};
  }

  struct Pod {
    Identity identity;
    bool host_network = false, host_pid = false, host_ipc = false;
    std::set<std::string> docker_socket_volumes;
    std::map<std::string, bool> empty_dirs;  // volume name -> medium Memory
  };

  Result<Container> container(const YAML::Node& node, ContainerKind kind, const Pod& pod,
                              const std::string& workload) {
    if (!node.IsMap()) return usage_at(file_, node, "a container must be a map");
    Container c;
    c.file = file_;
    c.workload = workload;
    c.kind = kind;
    c.name = scalar_or(get(node, "name"));
    c.line = line_of(node);
    if (auto image = get(node, "image")) {
      if (!image.IsScalar()) return usage_at(file_, image, "image must be a string");
      c.image = image.Scalar();
      c.line = line_of(image);
    }
    Identity id = pod.identity;
    YAML::Node sc = get(node, "securityContext");
    TRUSTCTL_TRY(identity(sc, "securityContext", id));
    if (id.run_as_user) {
      c.user = std::to_string(*id.run_as_user);
      c.non_root = *id.run_as_user != 0;
    } else if (id.run_as_non_root && *id.run_as_non_root) {
      c.non_root = true;
    }
    c.seccomp_profile = id.seccomp;
    if (sc && sc.IsMap()) {
      TRUSTCTL_TRY_ASSIGN(c.read_only_rootfs,
                          boolean(get(sc, "readOnlyRootFilesystem"), "readOnlyRootFilesystem"));
      TRUSTCTL_TRY_ASSIGN(auto escalation,
                          boolean(get(sc, "allowPrivilegeEscalation"), "allowPrivilegeEscalation"));
      if (escalation) c.no_new_privileges = !*escalation;
      TRUSTCTL_TRY_ASSIGN(auto privileged, boolean(get(sc, "privileged"), "privileged"));
      c.privileged = privileged.value_or(false);
      if (auto caps = get(sc, "capabilities"); caps && caps.IsMap()) {
        TRUSTCTL_TRY_ASSIGN(auto drop, strings(get(caps, "drop"), "capabilities.drop"));
        TRUSTCTL_TRY_ASSIGN(auto add, strings(get(caps, "add"), "capabilities.add"));
        for (auto& d : drop) c.cap_drop.push_back(capability_name(d));
        for (auto& a : add) c.cap_add.push_back(capability_name(a));
      }
    }
    c.host_network = pod.host_network;
    c.host_pid = pod.host_pid;
    c.host_ipc = pod.host_ipc;
    if (auto mounts = get(node, "volumeMounts"); mounts && mounts.IsSequence()) {
      for (const auto& m : mounts) {
        std::string vol = scalar_or(get(m, "name"));
        std::string path = scalar_or(get(m, "mountPath"));
        if (pod.docker_socket_volumes.contains(vol)) c.docker_socket_mounts.push_back(path);
        if (auto it = pod.empty_dirs.find(vol); it != pod.empty_dirs.end()) {
          if (it->second) c.tmpfs.push_back(TmpfsMount{path, {}});
          c.not_expressible.push_back("emptyDir volume \"" + vol + "\" at " + path +
                                      " cannot be mounted noexec/nosuid in Kubernetes");
        }
      }
    }
    if (get(node, "livenessProbe") || get(node, "readinessProbe") || get(node, "startupProbe"))
      c.healthcheck = Healthcheck::kPresent;
    return c;
  }

  Status pod_spec(const YAML::Node& spec, const std::string& workload, const std::string& where,
                  Document& doc) {
    Pod pod;
    TRUSTCTL_TRY(identity(get(spec, "securityContext"), "spec.securityContext", pod.identity));
    TRUSTCTL_TRY_ASSIGN(auto hn, boolean(get(spec, "hostNetwork"), "hostNetwork"));
    TRUSTCTL_TRY_ASSIGN(auto hp, boolean(get(spec, "hostPID"), "hostPID"));
    TRUSTCTL_TRY_ASSIGN(auto hi, boolean(get(spec, "hostIPC"), "hostIPC"));
    pod.host_network = hn.value_or(false);
    pod.host_pid = hp.value_or(false);
    pod.host_ipc = hi.value_or(false);
    if (auto volumes = get(spec, "volumes"); volumes && volumes.IsSequence()) {
      for (const auto& v : volumes) {
        std::string name = scalar_or(get(v, "name"));
        if (auto hp_node = get(v, "hostPath");
            hp_node && hp_node.IsMap() && is_docker_socket(scalar_or(get(hp_node, "path"))))
          pod.docker_socket_volumes.insert(name);
        if (auto ed = get(v, "emptyDir"); ed) {
          bool memory = ed.IsMap() && scalar_or(get(ed, "medium")) == "Memory";
          pod.empty_dirs[name] = memory;
        }
      }
    }
    const std::pair<const char*, ContainerKind> lists[] = {
        {"initContainers", ContainerKind::kInit},
        {"containers", ContainerKind::kContainer},
        {"ephemeralContainers", ContainerKind::kEphemeral}};
    for (const auto& [field, kind] : lists) {
      YAML::Node list = get(spec, field);
      if (!list || list.IsNull()) continue;
      if (!list.IsSequence()) return usage_at(file_, list, std::string(field) + " must be a list");
      std::size_t index = 0;
      for (const auto& item : list) {
        TRUSTCTL_TRY_ASSIGN(Container c, container(item, kind, pod, workload));
        c.path = where + "." + field + "[" + std::to_string(index++) + "]";
        doc.containers.push_back(std::move(c));
      }
    }
    return {};
  }

  Status object(const YAML::Node& obj, Document& doc, int depth, const std::string& prefix) {
    if (!obj || obj.IsNull()) return {};
    if (!obj.IsMap()) return usage_at(file_, obj, "a Kubernetes object is a map");
    YAML::Node kind_node = get(obj, "kind");
    if (!kind_node || !kind_node.IsScalar())
      return usage_at(file_, obj, "a Kubernetes object needs `kind`");
    const std::string kind = kind_node.Scalar();
    const std::string name = scalar_or(get(get(obj, "metadata"), "name"), "(unnamed)");
    if (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) {
      if (depth > 10) return usage_at(file_, obj, "Lists nested too deeply");
      YAML::Node items = get(obj, "items");
      if (!items || items.IsNull()) return {};
      if (!items.IsSequence()) return usage_at(file_, items, "items must be a list");
      std::size_t index = 0;
      for (const auto& item : items)
        TRUSTCTL_TRY(
            object(item, doc, depth + 1, prefix + "items[" + std::to_string(index++) + "]."));
      return {};
    }
    auto path = kPodSpecPath.find(kind);
    if (path == kPodSpecPath.end()) {
      doc.skipped.push_back(
          Skipped{kind, name, line_of(kind_node), "not a workload kind: it runs no containers"});
      return {};
    }
    YAML::Node spec = obj;
    std::string where;
    for (const auto& step : path->second) {
      where += (where.empty() ? "" : ".") + step;
      YAML::Node next = get(spec, step.c_str());
      if (!next || !next.IsMap())
        return usage_at(file_, next ? next : spec,
                        kind + "/" + name + ": " + where + " must be a map");
      spec = next;
    }
    return pod_spec(spec, kind + "/" + name, prefix + where, doc);
  }

 private:
  std::string file_;
};

}  // namespace

namespace {

// `merge_keys`: YAML `<<` merge keys are expanded (files); JSON has none.
Result<Document> read_objects(const std::vector<YAML::Node>& docs, const std::string& file,
                              bool merge_keys) {
  Document doc;
  doc.file = file;
  doc.kind = DocumentKind::kKubernetes;
  KubeReader reader(file);
  try {
    for (const auto& raw : docs) {
      YAML::Node obj = raw;
      if (merge_keys) {
        TRUSTCTL_TRY_ASSIGN(obj, apply_merge_keys(raw, file));
      }
      TRUSTCTL_TRY(reader.object(obj, doc, 0, ""));
    }
  } catch (const YAML::Exception& e) {
    return usage_at(file, e.mark.line + 1, "unexpected YAML structure: " + e.msg);
  }
  return doc;
}

// Writes JSON `value` into `target` as the YAML node the reader walks (JSON is YAML; no text
// round trip). Children are made inside their parent (`target[key]`), not built apart and
// inserted: yaml-cpp merges a separately built node's memory into its parent's, which made
// that the most expensive step of a webhook review.
Status fill_yaml(YAML::Node target, const nlohmann::json& value, const std::string& file,
                 int depth) {
  if (depth > 64) return Error(ErrorCode::kUsage, file + ": the object is nested too deeply");
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      target = YAML::Node(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items())
        TRUSTCTL_TRY(fill_yaml(target[key], item, file, depth + 1));
      return {};
    case nlohmann::json::value_t::array:
      target = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& item : value) {
        target.push_back(YAML::Node(YAML::NodeType::Null));
        TRUSTCTL_TRY(fill_yaml(target[target.size() - 1], item, file, depth + 1));
      }
      return {};
    case nlohmann::json::value_t::null:
      target = YAML::Node(YAML::NodeType::Null);
      return {};
    case nlohmann::json::value_t::string:
      target = value.get<std::string>();
      return {};
    default:
      target = value.dump();  // numbers and booleans, as their JSON text
      return {};
  }
}

}  // namespace

Result<Document> read_kubernetes_nodes(const std::vector<YAML::Node>& docs,
                                       const std::string& file) {
  return read_objects(docs, file, true);
}

bool is_workload_kind(std::string_view kind) {
  return kPodSpecPath.find(std::string(kind)) != kPodSpecPath.end();
}

Result<Document> read_kubernetes_json(const nlohmann::json& object, const std::string& file) {
  YAML::Node root(YAML::NodeType::Null);  // a node to fill (a default Node has none)
  if (object.is_object()) {
    // The reader reads only metadata.name of the metadata (an API server's object carries its
    // managedFields there, often most of its bytes) and never the status.
    nlohmann::json slim = nlohmann::json::object();
    for (const auto& [key, item] : object.items()) {
      if (key == "status") continue;
      if (key == "metadata" && item.is_object()) {
        slim[key] = nlohmann::json::object();
        if (item.contains("name")) slim[key]["name"] = item["name"];
        continue;
      }
      slim[key] = item;
    }
    TRUSTCTL_TRY(fill_yaml(root, slim, file, 1));
  } else {
    TRUSTCTL_TRY(fill_yaml(root, object, file, 1));
  }
  return read_objects({root}, file, false);
}

Result<Document> read_kubernetes(std::string_view text, const std::string& file) {
  TRUSTCTL_TRY_ASSIGN(auto docs, load_all(text, file));
  return read_kubernetes_nodes(docs, file);
}

}  // namespace trustctl::admission
