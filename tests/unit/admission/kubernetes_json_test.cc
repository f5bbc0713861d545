// read_kubernetes_json (the webhook's reader) against read_kubernetes (admit's) on the same
// objects: every container, setting and field path the same, so the webhook and admit decide
// alike (docs/webhook.md).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "trustctl/admission/workloads.h"

using namespace trustctl::admission;
using nlohmann::json;

namespace {

// Every field the checks look at, as one comparable string per container.
std::string describe(const Container& c) {
  std::string s = c.path + "|" + c.workload + "|" + c.name + "|" + std::string(kind_name(c.kind)) +
                  "|" + c.image + "|user=" + c.user.value_or("-") +
                  "|nonroot=" + (c.non_root ? (*c.non_root ? "1" : "0") : "-") +
                  "|ro=" + (c.read_only_rootfs ? (*c.read_only_rootfs ? "1" : "0") : "-") +
                  "|nnp=" + (c.no_new_privileges ? (*c.no_new_privileges ? "1" : "0") : "-") +
                  "|priv=" + (c.privileged ? "1" : "0") + "|hn=" + (c.host_network ? "1" : "0") +
                  "|hp=" + (c.host_pid ? "1" : "0") + "|hi=" + (c.host_ipc ? "1" : "0") +
                  "|hc=" + std::to_string(static_cast<int>(c.healthcheck)) +
                  "|seccomp=" + c.seccomp_profile.value_or("-");
  for (const auto& d : c.cap_drop) s += "|drop=" + d;
  for (const auto& a : c.cap_add) s += "|add=" + a;
  for (const auto& m : c.docker_socket_mounts) s += "|sock=" + m;
  for (const auto& t : c.tmpfs) s += "|tmpfs=" + t.path;
  for (const auto& n : c.not_expressible) s += "|note=" + n;
  return s;
}

std::vector<std::string> describe(const Document& d) {
  std::vector<std::string> out;
  for (const auto& c : d.containers) out.push_back(describe(c));
  return out;
}

const json kDeployment = json::parse(R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "labels": {"app": "web"},
               "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]},
  "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
    "securityContext": {"runAsNonRoot": true, "runAsUser": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "hostPID": true,
    "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}},
                {"name": "scratch", "emptyDir": {"medium": "Memory"}}],
    "initContainers": [{"name": "init", "image": "localhost:5000/init:v1",
                        "securityContext": {"runAsUser": 0}}],
    "containers": [
      {"name": "app", "image": "localhost:5000/app:v1",
       "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                           "capabilities": {"drop": ["ALL"], "add": ["cap_net_bind_service"]}},
       "volumeMounts": [{"name": "sock", "mountPath": "/var/run/docker.sock"},
                        {"name": "scratch", "mountPath": "/tmp"}],
       "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}},
      {"name": "side", "image": "localhost:5000/side:v2",
       "securityContext": {"privileged": true, "readOnlyRootFilesystem": false}}]}}},
  "status": {"replicas": 2}})");

// The object as the webhook reads it: the JSON text read in place.
trustctl::Result<Document> read_kubernetes_json(const json& object, const std::string& file) {
  trustctl::JsonDocument document;
  REQUIRE_FALSE(document.parse(object.dump()));
  return trustctl::admission::read_kubernetes_json(document.root(), file);
}

}  // namespace

TEST_CASE("kubernetes json: the webhook reads an object exactly as admit reads its file") {
  auto from_json = read_kubernetes_json(kDeployment, "review");
  REQUIRE(from_json.ok());
  auto from_file = read_kubernetes(kDeployment.dump(2), "review");
  REQUIRE(from_file.ok());
  REQUIRE(from_json->containers.size() == 3);
  CHECK(describe(*from_json) == describe(*from_file));
  CHECK(from_json->containers[0].path == "spec.template.spec.initContainers[0]");
  CHECK(from_json->containers[1].path == "spec.template.spec.containers[0]");
  CHECK(from_json->containers[2].path == "spec.template.spec.containers[1]");
  CHECK(from_json->containers[0].user == "0");  // a JSON number read as the YAML scalar 0
  CHECK(from_json->containers[2].privileged);
  CHECK(from_json->containers[1].docker_socket_mounts ==
        std::vector<std::string>{"/var/run/docker.sock"});
  CHECK(from_json->skipped.empty());
}

TEST_CASE("kubernetes json: a CronJob, a Pod's ephemeral containers, a Service, bad shapes") {
  json cron = {{"apiVersion", "batch/v1"},
               {"kind", "CronJob"},
               {"metadata", {{"name", "nightly"}}},
               {"spec",
                {{"schedule", "@daily"},
                 {"jobTemplate",
                  {{"spec",
                    {{"template",
                      {{"spec", {{"containers", {{{"name", "c"}, {"image", "app:v1"}}}}}}}}}}}}}}};
  auto c = read_kubernetes_json(cron, "cron");
  REQUIRE(c.ok());
  REQUIRE(c->containers.size() == 1);
  CHECK(c->containers[0].path == "spec.jobTemplate.spec.template.spec.containers[0]");
  CHECK(c->containers[0].workload == "CronJob/nightly");

  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"spec",
               {{"containers", {{{"name", "a"}, {"image", "a:1"}}}},
                {"ephemeralContainers", {{{"name", "dbg"}, {"image", "busybox:1"}}}}}}};
  auto p = read_kubernetes_json(pod, "pod");
  REQUIRE(p.ok());
  REQUIRE(p->containers.size() == 2);
  CHECK(p->containers[1].kind == ContainerKind::kEphemeral);
  CHECK(p->containers[1].path == "spec.ephemeralContainers[0]");

  json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "s"}}}};
  auto s = read_kubernetes_json(svc, "svc");
  REQUIRE(s.ok());
  CHECK(s->containers.empty());
  REQUIRE(s->skipped.size() == 1);

  json broken = kDeployment;
  broken["spec"]["template"]["spec"]["containers"] = "app";
  auto b = read_kubernetes_json(broken, "Deployment default/web");
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message().find("Deployment default/web: containers must be a list") !=
        std::string::npos);
  json no_kind = kDeployment;
  no_kind.erase("kind");
  CHECK_FALSE(read_kubernetes_json(no_kind, "x").ok());
  // Nesting the reader never visits is no error (the body's depth is bounded where it is
  // parsed, at 64); Lists within Lists are bounded by the reader.
  json deep = "x";
  for (int i = 0; i < 40; ++i) deep = json::array({deep});
  json nested = kDeployment;
  nested["spec"]["template"]["spec"]["containers"][0]["args"] = deep;
  auto d = read_kubernetes_json(nested, "deep");
  REQUIRE(d.ok());
  CHECK(d->containers.size() == 3);
  json lists = kDeployment;
  for (int i = 0; i < 20; ++i)
    lists = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array({lists})}};
  auto l = read_kubernetes_json(lists, "lists");
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().message() == "lists: Lists nested too deeply");
}
