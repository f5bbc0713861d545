#include <catch2/catch.hpp>
#include <string>

#include "trustctl/admission/workloads.h"

using namespace trustctl;
using namespace trustctl::admission;

namespace {

const std::string kFixtures = TRUSTCTL_FIXTURES_DIR "/admission";
using Strings = std::vector<std::string>;

Document read(const std::string& name) {
  auto d = read_workloads(kFixtures + "/" + name);
  INFO(name << ": " << (d.ok() ? "" : d.error().message()));
  REQUIRE(d.ok());
  CHECK(d->kind == DocumentKind::kKubernetes);
  return *d;
}

Document kube(const std::string& text) {
  auto d = read_kubernetes(text, "k8s.yaml");
  INFO(text << "\n-> " << (d.ok() ? "" : d.error().message()));
  REQUIRE(d.ok());
  return *d;
}

const Container& find(const Document& d, const std::string& workload, const std::string& name) {
  for (const auto& c : d.containers)
    if (c.workload == workload && c.name == name) return c;
  FAIL("no container " << workload << " " << name);
  return d.containers.front();
}

std::string fails(const std::string& text, int line) {
  auto d = read_kubernetes(text, "k8s.yaml");
  INFO(text);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code() == ErrorCode::kUsage);
  INFO(d.error().message());
  CHECK(d.error().message().starts_with("k8s.yaml:" + std::to_string(line) + ": "));
  return d.error().message();
}

}  // namespace

TEST_CASE("kubectl-generated Deployment, Job and CronJob") {
  Document dep = read("deployment-kubectl.yaml");
  REQUIRE(dep.containers.size() == 1);
  const Container& web = dep.containers[0];
  CHECK(web.workload == "Deployment/web");
  CHECK(web.name == "nginx");
  CHECK(web.image == "nginx:1.25");
  CHECK(web.line == 21);
  CHECK(web.kind == ContainerKind::kContainer);
  CHECK_FALSE(web.non_root.has_value());
  CHECK_FALSE(web.user.has_value());
  CHECK_FALSE(web.read_only_rootfs.has_value());
  CHECK(web.healthcheck == Healthcheck::kAbsent);

  Document cron = read("cronjob-kubectl.yaml");
  REQUIRE(cron.containers.size() == 1);
  CHECK(cron.containers[0].workload == "CronJob/backup");
  CHECK(cron.containers[0].image == "localhost:5000/backup:v1");

  Document job = read("job-kubectl.yaml");
  REQUIRE(job.containers.size() == 1);
  CHECK(job.containers[0].workload == "Job/once");
  CHECK(job.containers[0].image == "busybox");
}

TEST_CASE("kubernetes: pod-level settings with container overrides") {
  Document d = read("k8s-workloads.yaml");
  const Container& app = find(d, "Pod/hardened", "app");
  CHECK(app.kind == ContainerKind::kContainer);
  CHECK(app.image == "localhost:5000/secure-app:v1");
  CHECK(app.user == std::optional<std::string>("1000"));
  CHECK(app.non_root == std::optional<bool>(true));
  CHECK(app.read_only_rootfs == std::optional<bool>(true));
  CHECK(app.no_new_privileges == std::optional<bool>(true));
  CHECK(app.cap_drop == Strings{"ALL"});
  CHECK(app.cap_add == Strings{"NET_BIND_SERVICE"});
  CHECK(app.seccomp_profile == std::optional<std::string>("RuntimeDefault"));
  CHECK(app.healthcheck == Healthcheck::kPresent);
  REQUIRE(app.tmpfs.size() == 1);
  CHECK(app.tmpfs[0].path == "/tmp");
  CHECK_FALSE(app.tmpfs[0].has("noexec"));
  REQUIRE(app.not_expressible.size() == 1);
  CHECK_THAT(app.not_expressible[0], Catch::Contains("noexec/nosuid"));

  // The init container overrides runAsUser: root, although the pod says runAsNonRoot.
  const Container& setup = find(d, "Pod/hardened", "setup");
  CHECK(setup.kind == ContainerKind::kInit);
  CHECK(setup.user == std::optional<std::string>("0"));
  CHECK(setup.non_root == std::optional<bool>(false));
  CHECK(setup.read_only_rootfs == std::optional<bool>(std::nullopt));
  CHECK(setup.tmpfs.empty());
  CHECK(setup.healthcheck == Healthcheck::kAbsent);
}

TEST_CASE("kubernetes: host namespaces, privileged, the docker socket") {
  Document d = read("k8s-workloads.yaml");
  const Container& agent = find(d, "DaemonSet/agent", "agent");
  CHECK(agent.host_network);
  CHECK(agent.host_pid);
  CHECK(agent.host_ipc);
  CHECK(agent.privileged);
  CHECK(agent.no_new_privileges == std::optional<bool>(false));
  CHECK(agent.docker_socket_mounts == Strings{"/var/run/docker.sock"});
  CHECK_FALSE(agent.non_root.has_value());
}

TEST_CASE("kubernetes: List items, skipped kinds, ephemeral containers") {
  Document d = read("k8s-workloads.yaml");
  CHECK(find(d, "StatefulSet/db", "db").image == "postgres:16");
  CHECK(find(d, "ReplicaSet/rs", "rs").image == "rs:1");
  CHECK(find(d, "ReplicationController/rc", "rc").image == "rc:1");
  const Container& main = find(d, "Pod/debug", "main");
  CHECK(main.healthcheck == Healthcheck::kPresent);
  const Container& debugger = find(d, "Pod/debug", "debugger");
  CHECK(debugger.kind == ContainerKind::kEphemeral);
  CHECK(debugger.non_root == std::optional<bool>(true));
  CHECK_FALSE(debugger.user.has_value());
  CHECK(d.containers.size() == 8);
  REQUIRE(d.skipped.size() == 2);
  CHECK(d.skipped[0].kind == "Service");
  CHECK(d.skipped[0].name == "web");
  CHECK(d.skipped[0].line == 67);
  CHECK(d.skipped[1].kind == "ConfigMap");
  CHECK(d.skipped[1].name == "settings");
  CHECK_FALSE(d.skipped[1].reason.empty());
}

TEST_CASE("kubernetes: runAsNonRoot false or absent leaves the user unknown") {
  Document d = kube(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 1000}
  containers:
    - {name: a, image: a, securityContext: {runAsNonRoot: false}}
    - {name: b, image: b, securityContext: {runAsUser: 0}}
    - name: c
      image: c
)");
  REQUIRE(d.containers.size() == 3);
  CHECK(d.containers[0].non_root == std::optional<bool>(true));  // pod runAsUser 1000
  CHECK(d.containers[1].non_root == std::optional<bool>(false));
  CHECK(d.containers[2].user == std::optional<std::string>("1000"));
  Document u = kube(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "    - {name: a, image: a, securityContext: {runAsNonRoot: false}}\n");
  CHECK_FALSE(u.containers[0].non_root.has_value());
}

TEST_CASE("kubernetes: merge keys work in manifests too") {
  Document d = kube(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - &hardened
      name: a
      image: a:1
      securityContext:
        readOnlyRootFilesystem: true
    - <<: *hardened
      name: b
      image: b:1
)");
  REQUIRE(d.containers.size() == 2);
  CHECK(d.containers[1].name == "b");
  CHECK(d.containers[1].image == "b:1");
  CHECK(d.containers[1].line == 13);
  CHECK(d.containers[1].read_only_rootfs == std::optional<bool>(true));
}

TEST_CASE("kubernetes: errors name the file and line") {
  CHECK_THAT(
      fails("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1\n",
            5),
      Catch::Contains("Deployment/d: spec.template must be a map"));
  CHECK_THAT(fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: sure\n"
                   "  containers: []\n",
                   5),
             Catch::Contains("not true or false"));
  CHECK_THAT(fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                   "    - name: a\n      securityContext: {runAsUser: root}\n",
                   7),
             Catch::Contains("not a number"));
  CHECK_THAT(
      fails("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: []\n---\n- a\n",
            7),
      Catch::Contains("map"));
  CHECK_THAT(fails("apiVersion: v1\nkind: [\n", 3), Catch::Contains("not YAML"));
}

TEST_CASE("files: detected by content, not YAML is a usage error with a line") {
  auto bad = read_workloads(kFixtures + "/../admission/../admission/not-yaml.txt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == ErrorCode::kUsage);
  CHECK_THAT(bad.error().message(), Catch::Contains("not-yaml.txt:3: "));
  auto neither = read_workloads(kFixtures + "/neither.yaml");
  REQUIRE_FALSE(neither.ok());
  CHECK(neither.error().code() == ErrorCode::kUsage);
  CHECK_THAT(neither.error().message(), Catch::Contains("neither.yaml:1: neither a compose file"));
  auto missing = read_workloads(kFixtures + "/missing.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kIo);
}

TEST_CASE("odd shapes are usage errors or ignored, never exceptions") {
  const char* kube_inputs[] = {
      "apiVersion: v1\nkind: Pod\nmetadata: x\nspec:\n  containers: [a, 1]\n",
      "apiVersion: v1\nkind: Pod\nspec:\n  volumes: [x, {name: 1, hostPath: y}]\n  containers:\n"
      "    - {name: a, image: a, volumeMounts: [x, {name: [1]}], securityContext: {capabilities: "
      "x}}\n",
      "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - {image: {a: b}}\n",
      "apiVersion: v1\nkind: [List]\n",
      "apiVersion: v1\nkind: List\nitems: {a: b}\n",
      "apiVersion: v1\nkind: CronJob\nspec:\n  jobTemplate: [x]\n",
      "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: [x]\n  containers: []\n",
      "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - {name: a, securityContext: "
      "{capabilities: {drop: [[x]]}}}\n",
  };
  for (const char* text : kube_inputs) {
    INFO(text);
    auto d = read_kubernetes(text, "k8s.yaml");
    if (!d.ok()) CHECK(d.error().code() == ErrorCode::kUsage);
  }
  const char* compose_inputs[] = {
      "services: [a]\n",
      "services:\n  a: x\n",
      "services:\n  a:\n    tmpfs: {a: b}\n",
      "services:\n  a:\n    healthcheck: x\n",
      "services:\n  a:\n    volumes: [[x]]\n",
      "services:\n  a:\n    volumes: [{type: bind, source: [x]}]\n",
      "services:\n  a:\n    security_opt: {a: b}\n",
      "services:\n  a:\n    cap_drop: [[ALL]]\n",
      "services:\n  ? [a]\n  : {image: x}\n",
      "[1, 2]\n",
      "? [a]\n: b\nservices: {}\n",
  };
  ReadOptions o;
  o.environment = Environment{};
  o.env_file = "/nonexistent/.env";
  for (const char* text : compose_inputs) {
    INFO(text);
    auto d = read_compose(text, "compose.yml", o);
    if (!d.ok()) CHECK(d.error().code() == ErrorCode::kUsage);
  }
}
