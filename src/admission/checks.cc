// The hardening checks of one container (docs/policy.md, "Checks"): what the file says, and
// for `non-root` the image config's USER when the file does not say.
#include "checks.h"

#include <algorithm>

namespace trustctl::admission {
namespace {

using policy::Check;
using policy::CheckMode;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// What a check found: passed, or why not.
struct Outcome {
  bool passed = true;
  std::string message;
  bool not_expressible = false;  // the format cannot state what the check wants: a warning
};

Outcome pass(std::string message) { return {true, std::move(message), false}; }
Outcome failure(std::string message) { return {false, std::move(message), false}; }

Outcome non_root(const Container& c, const ImageUser& image, bool k8s) {
  if (c.non_root) {
    if (*c.non_root)
      return pass(c.user ? "runs as user " + *c.user : std::string("runAsNonRoot: true"));
    return failure("runs as root (" + std::string(k8s ? "runAsUser: " : "user: ") +
                   c.user.value_or("0") + ")");
  }
  if (image.user) {
    if (image.user->empty())
      return failure("the file sets no user and the image config sets no USER: it runs as root");
    if (is_root_user(*image.user))
      return failure("the file sets no user and the image config's USER is " + *image.user +
                     ": it runs as root");
    return pass("USER " + *image.user + " from the image config");
  }
  return failure("the file sets no user and the image's USER is unknown (" + image.unknown_why +
                 ")");
}

Outcome read_only_rootfs(const Container& c, bool k8s) {
  if (c.read_only_rootfs.value_or(false)) return pass("the root file system is read-only");
  return failure(k8s ? "readOnlyRootFilesystem is not true" : "read_only is not true");
}

Outcome drop_all(const Container& c, bool k8s) {
  if (contains(c.cap_drop, "ALL")) return pass("drops ALL capabilities");
  const std::string field = k8s ? "capabilities.drop" : "cap_drop";
  if (c.cap_drop.empty()) return failure(field + " does not include ALL");
  return failure(field + " does not include ALL (drops " + join(c.cap_drop) + ")");
}

Outcome allowed_caps(const Container& c, const policy::Checks& checks) {
  if (c.cap_add.empty()) return pass("adds no capability");
  std::vector<std::string> refused;
  for (const auto& cap : c.cap_add)
    if (cap == "ALL" || !contains(checks.allowed_capabilities, cap)) refused.push_back(cap);
  if (refused.empty()) return pass("adds " + join(c.cap_add) + " (allowed)");
  return failure("adds " + join(refused) + ", not in the allowed [" +
                 join(checks.allowed_capabilities) + "]");
}

Outcome no_new_privileges(const Container& c, bool k8s) {
  if (c.no_new_privileges.value_or(false))
    return pass(k8s ? "allowPrivilegeEscalation: false" : "no-new-privileges:true");
  if (k8s) return failure("allowPrivilegeEscalation is not false");
  return failure("security_opt does not set no-new-privileges:true");
}

Outcome tmpfs(const Container& c, bool k8s) {
  std::vector<std::string> bad;
  // Kubernetes has no mount options for an emptyDir: its tmpfs mounts are not_expressible notes.
  for (const auto& m : k8s ? std::vector<TmpfsMount>{} : c.tmpfs) {
    std::vector<std::string> missing;
    if (!m.has("noexec")) missing.push_back("noexec");
    if (!m.has("nosuid")) missing.push_back("nosuid");
    if (!missing.empty()) bad.push_back(m.path + " lacks " + join(missing));
  }
  if (!bad.empty()) return failure("tmpfs " + join(bad));
  if (!c.not_expressible.empty()) {
    Outcome o = failure("not expressible: " + join(c.not_expressible));
    o.not_expressible = true;
    return o;
  }
  if (c.tmpfs.empty()) return pass("no tmpfs mount");
  return pass(std::to_string(c.tmpfs.size()) + " tmpfs mount(s), all noexec,nosuid");
}

Outcome not_privileged(const Container& c) {
  if (c.privileged) return failure("runs privileged");
  return pass("not privileged");
}

Outcome host_namespaces(const Container& c, bool k8s) {
  std::vector<std::string> shared;
  if (c.host_network) shared.push_back(k8s ? "hostNetwork" : "network_mode: host");
  if (c.host_pid) shared.push_back(k8s ? "hostPID" : "pid: host");
  if (c.host_ipc) shared.push_back(k8s ? "hostIPC" : "ipc: host");
  if (shared.empty()) return pass("no host namespace");
  return failure("shares the host's namespaces: " + join(shared));
}

Outcome docker_socket(const Container& c) {
  if (c.docker_socket_mounts.empty()) return pass("no docker socket mounted");
  return failure("mounts the docker socket: " + join(c.docker_socket_mounts));
}

std::optional<Outcome> healthcheck(const Container& c, bool k8s) {
  if (c.kind != ContainerKind::kContainer) return std::nullopt;  // init/ephemeral: no probes
  switch (c.healthcheck) {
    case Healthcheck::kPresent:
      return pass(k8s ? "has a probe" : "has a healthcheck");
    case Healthcheck::kDisabled:
      return failure("the healthcheck is disabled");
    case Healthcheck::kAbsent:
      break;
  }
  return failure(k8s ? "no liveness, readiness or startup probe" : "no healthcheck");
}

}  // namespace

bool is_root_user(std::string_view user) {
  const std::string_view name = user.substr(0, user.find(':'));
  return name.empty() || name == "root" || name == "0";
}

std::vector<CheckResult> check_container(const Container& c, DocumentKind format,
                                         const policy::Checks& checks, const ImageUser& image) {
  const bool k8s = format == DocumentKind::kKubernetes;
  std::vector<CheckResult> results;
  for (std::size_t i = 0; i < policy::kCheckCount; ++i) {
    const auto check = static_cast<Check>(i);
    const CheckMode mode = checks.mode(check);
    CheckResult r{check, Verdict::kSkip, ""};
    if (mode == CheckMode::kOff) {
      r.message = "off in the policy";
      results.push_back(std::move(r));
      continue;
    }
    std::optional<Outcome> o;
    switch (check) {
      case Check::kNonRoot:
        o = non_root(c, image, k8s);
        break;
      case Check::kReadOnlyRootfs:
        o = read_only_rootfs(c, k8s);
        break;
      case Check::kDropAllCapabilities:
        o = drop_all(c, k8s);
        break;
      case Check::kAllowedCapabilities:
        o = allowed_caps(c, checks);
        break;
      case Check::kNoNewPrivileges:
        o = no_new_privileges(c, k8s);
        break;
      case Check::kTmpfsNoexecNosuid:
        o = tmpfs(c, k8s);
        break;
      case Check::kNotPrivileged:
        o = not_privileged(c);
        break;
      case Check::kNoHostNamespaces:
        o = host_namespaces(c, k8s);
        break;
      case Check::kNoDockerSocket:
        o = docker_socket(c);
        break;
      case Check::kHealthcheck:
        o = healthcheck(c, k8s);
        break;
    }
    if (!o) {
      r.message = std::string(kind_name(c.kind)) + " containers have no health probes";
    } else if (o->passed) {
      r.result = Verdict::kPass;
      r.message = std::move(o->message);
    } else {
      // What the format cannot express is reported, never passed, and never held against the
      // file as a failure it could fix.
      r.result =
          (mode == CheckMode::kEnforce && !o->not_expressible) ? Verdict::kFail : Verdict::kWarn;
      r.message = std::move(o->message);
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace trustctl::admission
