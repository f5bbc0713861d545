// Readers that turn docker compose files and Kubernetes YAML into one model of containers and
// their effective security settings, for `trustctl admit` (docs/admission.md). Pure: files in,
// model out; no network, no policy.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/json_reader.h"
#include "trustctl/core/result.h"

namespace trustctl::admission {

enum class ContainerKind { kContainer, kInit, kEphemeral };
enum class Healthcheck { kAbsent, kPresent, kDisabled };

struct TmpfsMount {
  std::string path;
  std::vector<std::string> options;  // as written: "rw", "noexec", "nosuid", "size=64m", ...
  bool has(std::string_view option) const;
};

struct Container {
  std::string file;
  int line = 0;          // of its `image:` (of the container when it has no image)
  std::string workload;  // compose service name, or "Deployment/web"
  std::string name;      // compose service name, or the container's name
  ContainerKind kind = ContainerKind::kContainer;
  std::string image;  // as written (after compose interpolation); may be empty
  // Kubernetes: the container's field path in its object, "spec.template.spec.containers[0]"
  // (in a List, "items[2].spec..."); empty for compose.
  std::string path;

  // Effective security settings (pod-level settings already applied for Kubernetes).
  std::optional<std::string> user;  // compose `user`; k8s: the runAsUser number
  std::optional<bool> non_root;     // known non-root (k8s runAsNonRoot / runAsUser != 0;
                                    // compose user other than root/0); unset = unknown
  std::optional<bool> read_only_rootfs;
  std::vector<std::string> cap_drop;  // upper case, without "CAP_"
  std::vector<std::string> cap_add;
  std::optional<bool> no_new_privileges;  // k8s: allowPrivilegeEscalation == false
  bool privileged = false;
  std::vector<TmpfsMount> tmpfs;
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  std::vector<std::string> docker_socket_mounts;  // host paths of docker.sock mounted
  Healthcheck healthcheck = Healthcheck::kAbsent;
  std::optional<std::string> seccomp_profile;  // "RuntimeDefault", "Unconfined", compose seccomp:
  std::vector<std::string> not_expressible;    // settings the format cannot state, as notes
};

struct Skipped {
  std::string kind;  // "Service", "ConfigMap", ...
  std::string name;
  int line = 0;
  std::string reason;
};

enum class DocumentKind { kCompose, kKubernetes };

struct Document {
  std::string file;
  DocumentKind kind = DocumentKind::kCompose;
  std::vector<Container> containers;
  std::vector<Skipped> skipped;
};

// Environment for compose interpolation: the process environment wins over `.env`.
using Environment = std::map<std::string, std::string>;

struct ReadOptions {
  // nullopt: read the process environment. Tests pass their own.
  std::optional<Environment> environment;
  // Where `.env` is looked for; empty: beside the compose file.
  std::string env_file;
};

// Reads one file, compose or Kubernetes by content (top-level `services` vs `apiVersion`/
// `kind`). Every failure is kUsage naming file:line, kIo when the file cannot be read.
Result<Document> read_workloads(const std::string& path, const ReadOptions& options = {});
Result<Document> read_compose(std::string_view text, const std::string& file,
                              const ReadOptions& options = {});
Result<Document> read_kubernetes(std::string_view text, const std::string& file);
// One Kubernetes object already parsed as JSON (an AdmissionReview's object), read as
// read_kubernetes reads it from a file (without line numbers), in place: only the fields the
// checks read are visited, so its cost does not grow with metadata or status; `file` names it
// in findings.
Result<Document> read_kubernetes_json(const JsonDocument::Value& object, const std::string& file);

std::string_view kind_name(ContainerKind kind);
// Whether objects of this Kubernetes kind run containers (the kinds the reader reads).
bool is_workload_kind(std::string_view kind);  // "container" | "init" | "ephemeral"

}  // namespace trustctl::admission
