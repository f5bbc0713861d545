// The Kubernetes reader: pod templates of the workload kinds, pod-level security settings
// with container-level overrides (docs/admission.md).
#include <algorithm>
#include <cctype>
#include <map>
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

// The reader walks one of two views of a parsed document with one set of rules: YAML from
// files (with line numbers) and JSON from AdmissionReview objects (read in place, never
// converted). A view is absent when the key is not there; text() of a number is its text as
// written, of a boolean "true" or "false", so `true` and "true" read alike in both.
class YamlView {
 public:
  YamlView() = default;
  explicit YamlView(YAML::Node node) : node_(std::move(node)) {}
  bool exists() const { return node_.IsDefined(); }
  bool null() const { return node_.IsDefined() && node_.IsNull(); }
  bool map() const { return node_.IsDefined() && node_.IsMap(); }
  bool list() const { return node_.IsDefined() && node_.IsSequence(); }
  bool scalar() const { return node_.IsDefined() && node_.IsScalar(); }
  std::string text() const { return scalar() ? node_.Scalar() : std::string(); }
  int line() const { return line_of(node_); }
  YamlView get(const char* key) const {
    if (map())
      for (const auto& kv : node_)
        if (kv.first.IsScalar() && kv.first.Scalar() == key) return YamlView(kv.second);
    return {};
  }
  template <class F>
  Status each(F&& f) const {
    for (const auto& item : node_) TRUSTCTL_TRY(f(YamlView(item)));
    return {};
  }

 private:
  YAML::Node node_{YAML::NodeType::Undefined};
};

class JsonView {
 public:
  JsonView() = default;
  explicit JsonView(const JsonDocument::Value& value) : value_(value) {}
  bool exists() const { return value_.exists(); }
  bool null() const { return value_.is_null(); }
  bool map() const { return value_.is_object(); }
  bool list() const { return value_.is_array(); }
  bool scalar() const { return value_.is_string() || value_.is_number() || value_.is_boolean(); }
  std::string text() const { return std::string(value_.text()); }
  int line() const { return 0; }
  JsonView get(const char* key) const { return JsonView(value_.get(key)); }
  template <class F>
  Status each(F&& f) const {
    Status status;
    value_.each([&](const JsonDocument::Value& item) {
      status = f(JsonView(item));
      return status.ok();
    });
    return status;
  }

 private:
  JsonDocument::Value value_;
};

template <class V>
class KubeReader {
 public:
  explicit KubeReader(const std::string& file) : file_(file) {}

  Error usage(const V& at, const std::string& message) const {
    return usage_at(file_, at.line(), message);
  }

  Result<std::optional<bool>> boolean(const V& node, std::string_view field) {
    if (!node.exists() || node.null()) return std::optional<bool>();
    if (!node.scalar()) return usage(node, std::string(field) + " must be true or false");
    const std::string v = node.text();
    if (v == "true" || v == "True" || v == "TRUE") return std::optional<bool>(true);
    if (v == "false" || v == "False" || v == "FALSE") return std::optional<bool>(false);
    return usage(node, std::string(field) + ": \"" + v + "\" is not true or false");
  }

  Result<std::optional<long long>> integer(const V& node, std::string_view field) {
    if (!node.exists() || node.null()) return std::optional<long long>();
    const std::string v = node.text();
    bool digits = !v.empty() && v.size() < 12 && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits) return usage(node, std::string(field) + ": \"" + v + "\" is not a number");
    return std::optional<long long>(std::stoll(v));
  }

  Result<std::vector<std::string>> strings(const V& node, std::string_view field) {
    std::vector<std::string> out;
    if (!node.exists() || node.null()) return out;
    if (!node.list()) return usage(node, std::string(field) + " must be a list");
    TRUSTCTL_TRY(node.each([&](const V& item) -> Status {
      if (!item.scalar()) return usage(item, std::string(field) + ": entries are names");
      out.push_back(item.text());
      return {};
    }));
    return out;
  }

  // The user-related part of a securityContext, pod or container level.
  struct Identity {
    std::optional<bool> run_as_non_root;
    std::optional<long long> run_as_user;
    std::optional<std::string> seccomp;
  };

  Status identity(const V& sc, std::string_view where, Identity& id) {
    if (!sc.exists() || sc.null()) return {};
    if (!sc.map()) return usage(sc, std::string(where) + " must be a map");
    TRUSTCTL_TRY_ASSIGN(auto non_root, boolean(sc.get("runAsNonRoot"), "runAsNonRoot"));
    if (non_root) id.run_as_non_root = non_root;
    TRUSTCTL_TRY_ASSIGN(auto user, integer(sc.get("runAsUser"), "runAsUser"));
    if (user) id.run_as_user = user;
    if (auto sp = sc.get("seccompProfile"); sp.map() && sp.get("type").exists())
      id.seccomp = sp.get("type").text();
    return {};
  }

  struct Pod {
    Identity identity;
    bool host_network = false, host_pid = false, host_ipc = false;
    std::set<std::string> docker_socket_volumes;
    std::map<std::string, bool> empty_dirs;  // volume name -> medium Memory
  };

  Result<Container> container(const V& node, ContainerKind kind, const Pod& pod,
                              const std::string& workload) {
    if (!node.map()) return usage(node, "a container must be a map");
    Container c;
    c.file = file_;
    c.workload = workload;
    c.kind = kind;
    c.name = node.get("name").text();
    c.line = node.line();
    if (auto image = node.get("image"); image.exists()) {
      if (!image.scalar()) return usage(image, "image must be a string");
      c.image = image.text();
      c.line = image.line();
    }
    Identity id = pod.identity;
    const V sc = node.get("securityContext");
    TRUSTCTL_TRY(identity(sc, "securityContext", id));
    if (id.run_as_user) {
      c.user = std::to_string(*id.run_as_user);
      c.non_root = *id.run_as_user != 0;
    } else if (id.run_as_non_root && *id.run_as_non_root) {
      c.non_root = true;
    }
    c.seccomp_profile = id.seccomp;
    if (sc.map()) {
      TRUSTCTL_TRY_ASSIGN(c.read_only_rootfs,
                          boolean(sc.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem"));
      TRUSTCTL_TRY_ASSIGN(auto escalation,
                          boolean(sc.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation"));
      if (escalation) c.no_new_privileges = !*escalation;
      TRUSTCTL_TRY_ASSIGN(auto privileged, boolean(sc.get("privileged"), "privileged"));
      c.privileged = privileged.value_or(false);
      if (auto caps = sc.get("capabilities"); caps.map()) {
        TRUSTCTL_TRY_ASSIGN(auto drop, strings(caps.get("drop"), "capabilities.drop"));
        TRUSTCTL_TRY_ASSIGN(auto add, strings(caps.get("add"), "capabilities.add"));
        for (auto& d : drop) c.cap_drop.push_back(capability_name(d));
        for (auto& a : add) c.cap_add.push_back(capability_name(a));
      }
    }
    c.host_network = pod.host_network;
    c.host_pid = pod.host_pid;
    c.host_ipc = pod.host_ipc;
    if (auto mounts = node.get("volumeMounts"); mounts.list()) {
      TRUSTCTL_TRY(mounts.each([&](const V& m) -> Status {
        std::string vol = m.get("name").text();
        std::string path = m.get("mountPath").text();
        if (pod.docker_socket_volumes.contains(vol)) c.docker_socket_mounts.push_back(path);
        if (auto it = pod.empty_dirs.find(vol); it != pod.empty_dirs.end()) {
          if (it->second) c.tmpfs.push_back(TmpfsMount{path, {}});
          c.not_expressible.push_back("emptyDir volume \"" + vol + "\" at " + path +
                                      " cannot be mounted noexec/nosuid in Kubernetes");
        }
        return {};
      }));
    }
    if (node.get("livenessProbe").exists() || node.get("readinessProbe").exists() ||
        node.get("startupProbe").exists())
      c.healthcheck = Healthcheck::kPresent;
    return c;
  }

  Status pod_spec(const V& spec, const std::string& workload, const std::string& where,
                  Document& doc) {
    Pod pod;
    TRUSTCTL_TRY(identity(spec.get("securityContext"), "spec.securityContext", pod.identity));
    TRUSTCTL_TRY_ASSIGN(auto hn, boolean(spec.get("hostNetwork"), "hostNetwork"));
    TRUSTCTL_TRY_ASSIGN(auto hp, boolean(spec.get("hostPID"), "hostPID"));
    TRUSTCTL_TRY_ASSIGN(auto hi, boolean(spec.get("hostIPC"), "hostIPC"));
    pod.host_network = hn.value_or(false);
    pod.host_pid = hp.value_or(false);
    pod.host_ipc = hi.value_or(false);
    if (auto volumes = spec.get("volumes"); volumes.list()) {
      TRUSTCTL_TRY(volumes.each([&](const V& v) -> Status {
        std::string name = v.get("name").text();
        if (auto host = v.get("hostPath"); host.map() && is_docker_socket(host.get("path").text()))
          pod.docker_socket_volumes.insert(name);
        if (auto ed = v.get("emptyDir"); ed.exists())
          pod.empty_dirs[name] = ed.map() && ed.get("medium").text() == "Memory";
        return {};
      }));
    }
    const std::pair<const char*, ContainerKind> lists[] = {
        {"initContainers", ContainerKind::kInit},
        {"containers", ContainerKind::kContainer},
        {"ephemeralContainers", ContainerKind::kEphemeral}};
    for (const auto& [field, kind] : lists) {
      const V list = spec.get(field);
      if (!list.exists() || list.null()) continue;
      if (!list.list()) return usage(list, std::string(field) + " must be a list");
      std::size_t index = 0;
      TRUSTCTL_TRY(list.each([&, field = field, kind = kind](const V& item) -> Status {
        TRUSTCTL_TRY_ASSIGN(Container c, container(item, kind, pod, workload));
        c.path = where + "." + field + "[" + std::to_string(index++) + "]";
        doc.containers.push_back(std::move(c));
        return {};
      }));
    }
    return {};
  }

  Status object(const V& obj, Document& doc, int depth, const std::string& prefix) {
    if (!obj.exists() || obj.null()) return {};
    if (!obj.map()) return usage(obj, "a Kubernetes object is a map");
    const V kind_node = obj.get("kind");
    if (!kind_node.scalar()) return usage(obj, "a Kubernetes object needs `kind`");
    const std::string kind = kind_node.text();
    const V name_node = obj.get("metadata").get("name");
    const std::string name = name_node.scalar() ? name_node.text() : "(unnamed)";
    if (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) {
      if (depth > 10) return usage(obj, "Lists nested too deeply");
      const V items = obj.get("items");
      if (!items.exists() || items.null()) return {};
      if (!items.list()) return usage(items, "items must be a list");
      std::size_t index = 0;
      return items.each([&](const V& item) {
        return object(item, doc, depth + 1, prefix + "items[" + std::to_string(index++) + "].");
      });
    }
    auto path = kPodSpecPath.find(kind);
    if (path == kPodSpecPath.end()) {
      doc.skipped.push_back(
          Skipped{kind, name, kind_node.line(), "not a workload kind: it runs no containers"});
      return {};
    }
    V spec = obj;
    std::string where;
    for (const auto& step : path->second) {
      where += (where.empty() ? "" : ".") + step;
      const V next = spec.get(step.c_str());
      if (!next.map())
        return usage(next.exists() ? next : spec,
                     kind + "/" + name + ": " + where + " must be a map");
      spec = next;
    }
    return pod_spec(spec, kind + "/" + name, prefix + where, doc);
  }

 private:
  std::string file_;
};

Document empty_document(const std::string& file) {
  Document doc;
  doc.file = file;
  doc.kind = DocumentKind::kKubernetes;
  return doc;
}

}  // namespace

// YAML `<<` merge keys are expanded first (files); JSON has none.
Result<Document> read_kubernetes_nodes(const std::vector<YAML::Node>& docs,
                                       const std::string& file) {
  Document doc = empty_document(file);
  KubeReader<YamlView> reader(file);
  try {
    for (const auto& raw : docs) {
      TRUSTCTL_TRY_ASSIGN(YAML::Node obj, apply_merge_keys(raw, file));
      TRUSTCTL_TRY(reader.object(YamlView(obj), doc, 0, ""));
    }
  } catch (const YAML::Exception& e) {
    return usage_at(file, e.mark.line + 1, "unexpected YAML structure: " + e.msg);
  }
  return doc;
}

bool is_workload_kind(std::string_view kind) {
  return kPodSpecPath.find(std::string(kind)) != kPodSpecPath.end();
}

Result<Document> read_kubernetes_json(const JsonDocument::Value& object, const std::string& file) {
  Document doc = empty_document(file);
  KubeReader<JsonView> reader(file);
  TRUSTCTL_TRY(reader.object(JsonView(object), doc, 0, ""));
  return doc;
}

Result<Document> read_kubernetes(std::string_view text, const std::string& file) {
  TRUSTCTL_TRY_ASSIGN(auto docs, load_all(text, file));
  return read_kubernetes_nodes(docs, file);
}

}  // namespace trustctl::admission
