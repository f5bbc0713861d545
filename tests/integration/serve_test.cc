// trustctl serve against a real registry over TLS with token auth, over real HTTPS: reviews
// built from kubectl's own objects (signed and unsigned images, each hardening rule broken,
// CronJob, ephemeral containers, dry run, deletion), the JSON Patch applied, findings equal to
// `trustctl admit -o json`, hostile requests, a revocation seen within --recheck, the registry
// load of an unchanged repository, rollback protection across a restart, and the deadline
// (docs/webhook.md).
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/process.h"
#include "support/tls_material.h"
#include "trust_cli_env.h"
#include "trustctl/core/encoding.h"
#include "trustctl/core/fs.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

json kubectl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"kubectl", "create"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--dry-run=client", "-o", "json"});
  auto r = run_process(argv);
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_status == 0);
  return json::parse(r->out);
}

// The pod spec of a workload object (Pod, CronJob, or a template).
json& pod_spec(json& object) {
  if (object["kind"] == "Pod") return object["spec"];
  if (object["kind"] == "CronJob") return object["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  return object["spec"]["template"]["spec"];
}

// The lab's rules in Kubernetes terms, on every container of the object.
json hardened(json object) {
  json& spec = pod_spec(object);
  spec["securityContext"] = {{"runAsNonRoot", true}};
  for (auto& c : spec["containers"]) {
    c["securityContext"] = {{"readOnlyRootFilesystem", true},
                            {"allowPrivilegeEscalation", false},
                            {"capabilities", {{"drop", {"ALL"}}}}};
    c["readinessProbe"] = {{"httpGet", {{"path", "/"}, {"port", 8080}}}};
  }
  return object;
}

json review(const json& object, const std::string& uid, const std::string& operation = "CREATE",
            const json& old_object = nullptr) {
  json request = {{"uid", uid},
                  {"kind", {{"group", ""}, {"version", "v1"}, {"kind", object["kind"]}}},
                  {"operation", operation},
                  {"namespace", "default"},
                  {"name", object["metadata"]["name"]},
                  {"object", object}};
  if (!old_object.is_null()) request["oldObject"] = old_object;
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
}

// A running `trustctl serve`.
class Webhook {
 public:
  Webhook(const User& user, const std::string& policy, const std::string& state_dir,
          std::vector<std::string> extra = {}) {
    auto ca = make_ca("webhook test CA");
    REQUIRE(ca.ok());
    auto server = make_server_cert(*ca);
    REQUIRE(server.ok());
    cert_ = dir_.path + "/tls.crt";
    key_ = dir_.path + "/tls.key";
    ca_ = dir_.path + "/ca.crt";
    REQUIRE(fs::write_file_atomic(cert_, server->cert_pem, 0644).ok());
    REQUIRE(fs::write_file_atomic(key_, server->key_pem, 0600).ok());
    REQUIRE(fs::write_file_atomic(ca_, ca->cert_pem, 0644).ok());
    argv_ = {TRUSTCTL_BIN, "serve", "--policy", policy,        "--tls-cert",  cert_,
             "--tls-key",  key_,    "--listen", "127.0.0.1:0", "--state-dir", state_dir};
    argv_.insert(argv_.end(), extra.begin(), extra.end());
    env_ = user.env;
    env_.push_back("PATH=/usr/bin:/bin");
    start();
  }
  ~Webhook() { stop(); }

  void start() {
    log_ = dir_.path + "/serve-" + std::to_string(starts_++) + ".log";
    auto pid = spawn_daemon({argv_, log_, env_});
    REQUIRE(pid.ok());
    pid_ = *pid;
    const std::regex listening("https://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::smatch m;
      const std::string text = tail_file(log_);
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      INFO(text);
      REQUIRE(process_running(pid_));
    }
    REQUIRE(port_ != 0);
  }
  void stop() {
    if (pid_ <= 0) return;
    (void)stop_process(pid_, [](const std::vector<std::string>& argv) {
      return argv.size() > 1 && argv[1] == "serve";
    });
    pid_ = -1;
    port_ = 0;
  }
  void restart() {
    stop();
    start();
  }
  // A new certificate from a new CA in place of the old files (as cert-manager renews); the
  // client trusts only the new CA from now on. Returns the old CA's file.
  std::string rotate_certificate() {
    auto ca = make_ca("webhook test CA 2");
    REQUIRE(ca.ok());
    auto server = make_server_cert(*ca);
    REQUIRE(server.ok());
    const std::string old_ca = dir_.path + "/old-ca.crt";
    std::filesystem::rename(ca_, old_ca);
    REQUIRE(fs::write_file_atomic(ca_, ca->cert_pem, 0644).ok());
    REQUIRE(fs::write_file_atomic(key_, server->key_pem, 0600).ok());
    REQUIRE(fs::write_file_atomic(cert_, server->cert_pem, 0644).ok());
    return old_ca;
  }
  void replace_key(const std::string& pem) { REQUIRE(fs::write_file_atomic(key_, pem, 0600).ok()); }
  // Whether a client trusting only `ca_file` completes a request.
  bool reachable_with(const std::string& ca_file) const {
    httplib::SSLClient c("127.0.0.1", port_);
    c.set_ca_cert_path(ca_file.c_str());
    c.enable_server_certificate_verification(true);
    auto res = c.Get("/healthz");
    return res && res->status == 200;
  }

  httplib::Result post(const std::string& path, const std::string& body) const {
    return client()->Post(path.c_str(), body, "application/json");
  }
  httplib::Result get(const std::string& path) const { return client()->Get(path.c_str()); }

  // The response of a review, after checking the envelope.
  json answer(const std::string& path, const json& request) const {
    auto res = post(path + "?timeout=10s", request.dump());
    REQUIRE(res);
    INFO(res->body << tail_file(log_));
    REQUIRE(res->status == 200);
    json out = json::parse(res->body);
    CHECK(out["apiVersion"] == "admission.k8s.io/v1");
    CHECK(out["kind"] == "AdmissionReview");
    CHECK(out["response"]["uid"] == request["request"]["uid"]);
    return out["response"];
  }
  double metric(const std::string& name) const {
    auto res = get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    std::istringstream lines(res->body);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    FAIL("no metric " << name);
    return 0;
  }
  const std::string& log() const { return log_; }

 private:
  std::unique_ptr<httplib::SSLClient> client() const {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->set_ca_cert_path(ca_.c_str());
    c->enable_server_certificate_verification(true);
    c->set_read_timeout(30, 0);
    return c;
  }
  TempDir dir_;
  std::string cert_, key_, ca_, log_;
  std::vector<std::string> argv_, env_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

struct ServeScene {
  std::unique_ptr<TestRegistry> reg;
  TempDir work;
  std::unique_ptr<User> owner;
  std::unique_ptr<User> gate;  // the webhook's identity: an empty trust dir, registry login
  std::string repo, unsigned_repo, root_key, policy;
  explicit ServeScene(const std::string& extra_rule = "") {
    RegistryOptions o;
    o.tls = true;
    o.token = Credentials{"ci", "t0ken-secret"};
    reg = start_registry(std::move(o));
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    REQUIRE(push_fixtures(*reg, "plain-app").ok());
    owner = std::make_unique<User>(*reg);
    owner->login(*reg);
    gate = std::make_unique<User>(*reg);
    gate->login(*reg);
    repo = reg->host_port() + "/secure-app";
    unsigned_repo = reg->host_port() + "/plain-app";
    auto r = owner->run({"sign", "--init", repo + ":app"});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    root_key =
        json::parse(owner->run({"inspect", repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
            .get<std::string>();
    policy = write("policy.yaml", "version: 1\nrules:\n  - images: \"**\"\n    roots: [\"" +
                                      root_key + "\"]\n" + extra_rule);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = work.path + "/" + name;
    REQUIRE(fs::write_file_atomic(path, text, 0644).ok());
    return path;
  }
  std::string state_dir(const std::string& name) const { return work.path + "/" + name; }
  json deployment(const std::string& image) const {
    return hardened(kubectl({"deployment", "web", "--image=" + image}));
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string message_of(const json& response) {
  return response.contains("status") ? response["status"]["message"].get<std::string>() : "";
}

json applied_patch(const json& object, const json& response) {
  REQUIRE(response["patchType"] == "JSONPatch");
  auto bytes = encoding::base64_decode(response["patch"].get<std::string>());
  REQUIRE(bytes);
  return object.patch(json::parse(*bytes));
}

}  // namespace

TEST_CASE("serve: signed admitted and pinned, unsigned and each broken rule denied, by field") {
  ServeScene s;
  Webhook hook(*s.gate, s.policy, s.state_dir("state"));
  CHECK(hook.get("/healthz")->status == 200);
  CHECK(hook.get("/readyz")->status == 200);

  const json signed_deployment = s.deployment(s.repo + ":app");
  json v = hook.answer("/validate", review(signed_deployment, "uid-1"));
  INFO(v.dump());
  CHECK(v["allowed"] == true);
  CHECK_FALSE(v.contains("status"));
  CHECK_FALSE(v.contains("patchType"));  // validate never patches

  // Mutate pins the verified digest; the patched object is admitted and needs no patch.
  json m = hook.answer("/mutate", review(signed_deployment, "uid-2"));
  CHECK(m["allowed"] == true);
  json pinned = applied_patch(signed_deployment, m);
  CHECK(pod_spec(pinned)["containers"][0]["image"] ==
        s.repo + ":app@" + fixture_digest::kSecureApp);
  json again = hook.answer("/mutate", review(pinned, "uid-3"));
  CHECK(again["allowed"] == true);
  CHECK_FALSE(again.contains("patchType"));
  CHECK_FALSE(again.contains("patch"));
  CHECK(hook.answer("/validate", review(pinned, "uid-4"))["allowed"] == true);

  SECTION("an unsigned image, and a signed tag pinned to another digest, are denied") {
    json d = hook.answer("/validate", review(s.deployment(s.unsigned_repo + ":app"), "uid-5"));
    CHECK(d["allowed"] == false);
    CHECK(d["status"]["code"] == 403);
    CHECK(message_of(d).rfind(
              "spec.template.spec.containers[0].image: signature: " + s.unsigned_repo + ":app: ",
              0) == 0);
    json lie = s.deployment(s.repo + ":app@" + fixture_digest::kV1);
    json l = hook.answer("/mutate", review(lie, "uid-6"));
    CHECK(l["allowed"] == false);
    CHECK_FALSE(l.contains("patchType"));
    CHECK(message_of(l).find("signature") != std::string::npos);
    // An annotation claiming verification changes nothing.
    json claimed = s.deployment(s.unsigned_repo + ":app");
    claimed["metadata"]["annotations"] = {{"trustctl.dev/verified", "true"},
                                          {"kyverno.io/verify-images", "pass"}};
    CHECK(hook.answer("/validate", review(claimed, "uid-7"))["allowed"] == false);
  }

  SECTION("each hardening rule broken alone names that check and the container's field") {
    auto broken = [&](const std::function<void(json&, json&)>& edit) {
      json o = signed_deployment;
      edit(pod_spec(o), pod_spec(o)["containers"][0]);
      return o;
    };
    const std::vector<std::pair<std::string, json>> variants = {
        {"non-root", broken([](json& p, json&) {
           p["securityContext"] = {{"runAsUser", 0}};
         })},
        {"read-only-rootfs",
         broken([](json&, json& c) { c["securityContext"]["readOnlyRootFilesystem"] = false; })},
        {"drop-all-capabilities",
         broken([](json&, json& c) { c["securityContext"]["capabilities"].erase("drop"); })},
        {"allowed-capabilities", broken([](json&, json& c) {
           c["securityContext"]["capabilities"]["add"] = {"NET_ADMIN"};
         })},
        {"no-new-privileges",
         broken([](json&, json& c) { c["securityContext"]["allowPrivilegeEscalation"] = true; })},
        {"not-privileged",
         broken([](json&, json& c) { c["securityContext"]["privileged"] = true; })},
        {"no-host-namespaces", broken([](json& p, json&) { p["hostPID"] = true; })},
        {"no-docker-socket", broken([](json& p, json& c) {
           p["volumes"] = {{{"name", "sock"}, {"hostPath", {{"path", "/var/run/docker.sock"}}}}};
           c["volumeMounts"] = {{{"name", "sock"}, {"mountPath", "/var/run/docker.sock"}}};
         })},
    };
    int n = 0;
    for (const auto& [check, object] : variants) {
      INFO(check);
      json d = hook.answer("/validate", review(object, "uid-h" + std::to_string(n++)));
      CHECK(d["allowed"] == false);
      const auto lines = lines_of(message_of(d));
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].rfind("spec.template.spec.containers[0]: " + check + ": " + s.repo + ":app (" +
                               fixture_digest::kSecureApp + "): ",
                           0) == 0);
    }
    // A missing probe is a warning (the lab's healthcheck: warn), at most 120 characters.
    json o = signed_deployment;
    pod_spec(o)["containers"][0].erase("readinessProbe");
    json w = hook.answer("/validate", review(o, "uid-w"));
    CHECK(w["allowed"] == true);
    REQUIRE(w["warnings"].size() == 1);
    CHECK(w["warnings"][0].get<std::string>().find("healthcheck") != std::string::npos);
    CHECK(w["warnings"][0].get<std::string>().size() <= 120);
  }

  SECTION("findings equal trustctl admit -o json for the same object") {
    json o = signed_deployment;
    pod_spec(o)["containers"].push_back(pod_spec(o)["containers"][0]);
    pod_spec(o)["containers"][1]["name"] = "sidecar";
    pod_spec(o)["containers"][1]["image"] = s.unsigned_repo + ":app";
    pod_spec(o)["containers"][0]["securityContext"]["privileged"] = true;
    pod_spec(o)["hostNetwork"] = true;
    json d = hook.answer("/validate", review(o, "uid-eq"));
    CHECK(d["allowed"] == false);
    const std::string file = s.write("deployment.json", o.dump(2));
    auto r = s.gate->run({"admit", "-o", "json", "--policy", s.policy, file});
    INFO(r.out << r.err);
    REQUIRE(r.exit_status == 14);
    std::vector<std::string> expected;
    const json admitted = json::parse(r.out);
    for (const auto& f : admitted["findings"]) {
      if (f["result"] != "fail") continue;
      std::string field = f["path"];
      if (f["check"] == "signature" || f["check"] == "policy") field += ".image";
      std::string image = f["image"];
      if (!f["digest"].get<std::string>().empty())
        image += " (" + f["digest"].get<std::string>() + ")";
      expected.push_back(field + ": " + f["check"].get<std::string>() + ": " + image + ": " +
                         f["message"].get<std::string>());
    }
    CHECK(expected.size() >= 4);  // privileged, two host namespace findings, the signature
    CHECK(lines_of(message_of(d)) == expected);
  }

  SECTION("CronJob and ephemeral containers: their own paths, patched and checked") {
    json cron = hardened(
        kubectl({"cronjob", "nightly", "--image=" + s.repo + ":app", "--schedule=@daily"}));
    json c = hook.answer("/mutate", review(cron, "uid-c"));
    CHECK(c["allowed"] == true);
    auto patch = json::parse(*encoding::base64_decode(c["patch"].get<std::string>()));
    REQUIRE(patch.size() == 1);
    CHECK(patch[0]["path"] == "/spec/jobTemplate/spec/template/spec/containers/0/image");
    json patched_cron = applied_patch(cron, c);
    CHECK(pod_spec(patched_cron)["containers"][0]["image"] ==
          s.repo + ":app@" + fixture_digest::kSecureApp);

    json pod = hardened(kubectl({"deployment", "p", "--image=" + s.repo + ":app"}));
    json p = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}, {"namespace", "default"}}},
              {"spec", pod_spec(pod)}};
    json with_debug = p;
    json debug = p["spec"]["containers"][0];  // hardened like the app
    debug["name"] = "debug";
    debug["image"] = s.unsigned_repo + ":app";
    with_debug["spec"]["ephemeralContainers"] = json::array({debug});
    json req = review(with_debug, "uid-e", "UPDATE", p);
    req["request"]["subResource"] = "ephemeralcontainers";
    json e = hook.answer("/validate", req);
    CHECK(e["allowed"] == false);
    CHECK(message_of(e).find("spec.ephemeralContainers[0].image: signature: ") !=
          std::string::npos);
    // A signed debug container is admitted and pinned at its own path.
    with_debug["spec"]["ephemeralContainers"][0]["image"] = s.repo + ":app";
    req = review(with_debug, "uid-e2", "UPDATE", p);
    req["request"]["subResource"] = "ephemeralcontainers";
    json ok = hook.answer("/mutate", req);
    CHECK(ok["allowed"] == true);
    CHECK(applied_patch(with_debug, ok)["spec"]["ephemeralContainers"][0]["image"] ==
          s.repo + ":app@" + fixture_digest::kSecureApp);
  }

  SECTION("dry run answers as the real request; deletion and DELETE are admitted") {
    json unsigned_d = s.deployment(s.unsigned_repo + ":app");
    json dry = review(unsigned_d, "uid-d");
    dry["request"]["dryRun"] = true;
    json a = hook.answer("/validate", dry);
    json b = hook.answer("/validate", review(unsigned_d, "uid-d"));
    CHECK(a == b);
    CHECK(a["allowed"] == false);
    json leaving = unsigned_d;
    leaving["metadata"]["deletionTimestamp"] = "2026-12-02T10:00:00Z";
    leaving["metadata"]["finalizers"] = json::array();
    json with_finalizer = leaving;
    with_finalizer["metadata"]["finalizers"] = {"example.com/cleanup"};
    CHECK(hook.answer("/validate", review(leaving, "uid-f", "UPDATE", with_finalizer))["allowed"] ==
          true);
    json del = review(unsigned_d, "uid-g", "DELETE");
    del["request"].erase("object");
    del["request"]["oldObject"] = unsigned_d;
    CHECK(hook.answer("/validate", del)["allowed"] == true);
  }

  SECTION("hostile requests: HTTP 400 with the reason, and the server keeps serving") {
    auto bad = [&](const std::string& body, const std::string& reason) {
      auto res = hook.post("/validate", body);
      REQUIRE(res);
      INFO(res->body);
      CHECK(res->status == 400);
      CHECK(res->body.find(reason) != std::string::npos);
    };
    bad("{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", ",
        "not valid JSON");
    json beta = review(signed_deployment, "uid-b");
    beta["apiVersion"] = "admission.k8s.io/v1beta1";
    bad(beta.dump(), "is not admission.k8s.io/v1");
    json no_uid = review(signed_deployment, "x");
    no_uid["request"].erase("uid");
    bad(no_uid.dump(), "request.uid is missing");
    json big = review(signed_deployment, "uid-big");
    big["request"]["object"]["metadata"]["annotations"] = {{"padding", std::string(5 << 20, 'a')}};
    bad(big.dump(), "over the limit");
    bad(std::string(100000, '[') + std::string(100000, ']'), "AdmissionReview");
    CHECK(hook.get("/healthz")->status == 200);
    CHECK(hook.answer("/validate", review(signed_deployment, "uid-after"))["allowed"] == true);
    CHECK(hook.metric(
              "trustctl_admission_reviews_total{endpoint=\"validate\",outcome=\"bad_request\"}") ==
          5);
  }

  SECTION("metrics: decisions, cache, registry requests, and the trust data's expiry") {
    CHECK(hook.metric(
              "trustctl_admission_reviews_total{endpoint=\"validate\",outcome=\"allowed\"}") == 2);
    CHECK(hook.metric(
              "trustctl_admission_reviews_total{endpoint=\"mutate\",outcome=\"allowed\"}") == 2);
    CHECK(hook.metric("trustctl_verifications_total") == 1);
    // uid-1 verified, uid-2 and uid-4 from memory, uid-3 (tag@digest) looked up in the state.
    CHECK(hook.metric("trustctl_verification_cache_hits_total") == 2);
    CHECK(hook.metric("trustctl_verification_cache_misses_total") == 2);
    CHECK(hook.metric("trustctl_registry_requests_total") > 0);
    const double expiry =
        hook.metric("trustctl_trust_expiry_seconds{repository=\"" + s.repo + "\"}");
    CHECK(expiry > 3600);
    CHECK(hook.metric("trustctl_admission_review_duration_seconds_count{endpoint=\"validate\"}") ==
          2);
  }
}

TEST_CASE("serve: a revocation is seen within --recheck, an unchanged repository costs a HEAD") {
  ServeScene s;
  const auto recheck = std::chrono::seconds(2);
  Webhook hook(*s.gate, s.policy, s.state_dir("state"), {"--recheck", "2s"});
  const json d = s.deployment(s.repo + ":app");
  REQUIRE(hook.answer("/validate", review(d, "r0"))["allowed"] == true);

  // Warm: many reviews within one interval cost at most one HEAD (a token fetch around it).
  const double before = hook.metric("trustctl_registry_requests_total");
  const auto start = Clock::now();
  int n = 0;
  while (Clock::now() - start < std::chrono::milliseconds(1500))
    REQUIRE(hook.answer("/validate", review(d, "w" + std::to_string(n++)))["allowed"] == true);
  CHECK(n >= 20);
  CHECK(hook.metric("trustctl_registry_requests_total") - before <= 3);
  CHECK(hook.metric("trustctl_verifications_total") == 1);

  // After the interval an UPDATE that changes no image is not rechecked at all.
  std::this_thread::sleep_for(recheck + std::chrono::milliseconds(200));
  json scaled = d;
  scaled["spec"]["replicas"] = 5;
  const double at_update = hook.metric("trustctl_registry_requests_total");
  CHECK(hook.answer("/validate", review(scaled, "u1", "UPDATE", d))["allowed"] == true);
  CHECK(hook.metric("trustctl_registry_requests_total") == at_update);

  // The owner revokes the tag: within the interval (and a margin for the request) it is denied.
  auto revoke = s.owner->run({"revoke", s.repo + ":app"});
  INFO(revoke.err);
  REQUIRE(revoke.exit_status == 0);
  const auto revoked_at = Clock::now();
  bool denied = false;
  while (!denied && Clock::now() - revoked_at < recheck + std::chrono::seconds(3)) {
    denied = hook.answer("/validate", review(d, "r" + std::to_string(n++)))["allowed"] == false;
    if (!denied) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(denied);
  CHECK(Clock::now() - revoked_at <= recheck + std::chrono::seconds(3));
  CHECK(hook.metric("trustctl_verifications_total") == 2);
}

TEST_CASE("attack: an old state replayed to a restarted webhook is refused (kept state dir)") {
  ServeScene s;
  Attacker attacker(*s.reg, s.work.path);
  const auto signed_state = attacker.trust_manifest("secure-app");
  const std::string state = s.state_dir("state");
  auto hook = std::make_unique<Webhook>(*s.gate, s.policy, state);
  const json d = s.deployment(s.repo + ":app");
  REQUIRE(hook->answer("/validate", review(d, "a0"))["allowed"] == true);
  REQUIRE(s.owner->run({"revoke", s.repo + ":app"}).exit_status == 0);
  hook->restart();  // a new pod on the same volume; it sees the revocation at once
  REQUIRE(hook->answer("/validate", review(d, "a1"))["allowed"] == false);

  // The pusher puts back the validly signed state from before the revocation.
  attacker.put_trust_manifest("secure-app", signed_state, "secure-app");
  hook->restart();
  json r = hook->answer("/validate", review(d, "a2"));
  CHECK(r["allowed"] == false);
  INFO(message_of(r));
  CHECK(message_of(r).find("signature") != std::string::npos);

  // Proof that the replay is what the state dir stops: a webhook without it admits the image.
  Webhook amnesiac(*s.gate, s.policy, s.state_dir("fresh"));
  CHECK(amnesiac.answer("/validate", review(d, "a3"))["allowed"] == true);
}

TEST_CASE("serve: what is not verified within the deadline is denied, or admitted fail-open") {
  ServeScene s;
  // A registry that accepts connections and never answers.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(silent >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(silent, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string stuck = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/app:v1";

  json d = s.deployment(s.repo + ":app");
  pod_spec(d)["containers"].push_back(pod_spec(d)["containers"][0]);
  pod_spec(d)["containers"][1]["name"] = "stuck";
  pod_spec(d)["containers"][1]["image"] = stuck;
  {
    Webhook closed(*s.gate, s.policy, s.state_dir("closed"), {"--deadline", "1500ms"});
    // The signed image is verified first and cached; the silent registry holds the second.
    const json first = s.deployment(s.repo + ":app");
    REQUIRE(closed.answer("/validate", review(first, "t0"))["allowed"] == true);
    const auto start = Clock::now();
    json r = closed.answer("/validate", review(d, "t1"));
    const auto took = Clock::now() - start;
    CHECK(r["allowed"] == false);
    CHECK(message_of(r).find("timed out after 1 of 2 images") != std::string::npos);
    CHECK(took < std::chrono::milliseconds(2500));
    CHECK(took >= std::chrono::milliseconds(1400));
    CHECK(closed.metric(
              "trustctl_admission_reviews_total{endpoint=\"validate\",outcome=\"timeout\"}") == 1);
    // The API server's own timeout is shorter: it wins.
    auto res = closed.post("/validate?timeout=1s", review(d, "t2").dump());
    REQUIRE(res);
    CHECK(json::parse(res->body)["response"]["allowed"] == false);
  }
  Webhook open(*s.gate, s.policy, s.state_dir("open"), {"--deadline", "1s", "--fail-open"});
  json r = open.answer("/validate", review(d, "t3"));
  CHECK(r["allowed"] == true);
  REQUIRE(r["warnings"].size() >= 1);
  CHECK(r["warnings"].back().get<std::string>().find("fail-open") != std::string::npos);
  // Fail-open is about availability only: an unsigned image is still denied.
  CHECK(open.answer("/validate", review(s.deployment(s.unsigned_repo + ":app"), "t4"))["allowed"] ==
        false);
  ::close(silent);
}

TEST_CASE("serve: an invalid policy is refused on reload and the old one stays, readyz") {
  ServeScene s;
  Webhook hook(*s.gate, s.policy, s.state_dir("state"));
  const json unsigned_d = s.deployment(s.unsigned_repo + ":app");
  REQUIRE(hook.answer("/validate", review(unsigned_d, "p0"))["allowed"] == false);
  // An edit that does not parse: refused, the policy in force stays.
  REQUIRE(fs::write_file_atomic(s.policy, "version: 1\nrules:\n  - images: [\n", 0644).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(hook.metric("trustctl_policy_reloads_total{result=\"failed\"}") == 1);
  CHECK(hook.answer("/validate", review(unsigned_d, "p1"))["allowed"] == false);
  // A valid one that makes signatures optional for plain-app takes effect.
  REQUIRE(fs::write_file_atomic(s.policy,
                                "version: 1\nrules:\n  - images: \"**/plain-app\"\n"
                                "    signature: off\n  - images: \"**\"\n    roots: [\"" +
                                    s.root_key + "\"]\n",
                                0644)
              .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(hook.metric("trustctl_policy_reloads_total{result=\"ok\"}") == 1);
  CHECK(hook.answer("/validate", review(unsigned_d, "p2"))["allowed"] == true);
  CHECK(hook.get("/readyz")->status == 200);
  // A state dir that takes no writes (here a file where the folder was: root, which runs the
  // tests, writes through any permission bits) makes the webhook not ready, saying why.
  const std::string state = s.state_dir("state");
  const std::string aside = state + ".aside";
  std::filesystem::rename(state, aside);
  REQUIRE(fs::write_file_atomic(state, "not a folder", 0644).ok());
  auto not_ready = hook.get("/readyz");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  CHECK(not_ready->body.find("the state dir " + state + " is not writable") != std::string::npos);
  std::filesystem::remove(state);
  std::filesystem::rename(aside, state);
  CHECK(hook.get("/readyz")->status == 200);
}

TEST_CASE("serve: concurrent reviews of one repository share one verification") {
  ServeScene s;
  Webhook hook(*s.gate, s.policy, s.state_dir("state"));
  const json d = s.deployment(s.repo + ":app");
  // Two containers naming the same image, in each of eight reviews at once, all cold.
  json two = d;
  pod_spec(two)["containers"].push_back(pod_spec(two)["containers"][0]);
  pod_spec(two)["containers"][1]["name"] = "twin";
  std::vector<std::thread> threads;
  std::vector<int> allowed(8, -1);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto res = hook.post("/validate", review(two, "c" + std::to_string(i)).dump());
      if (res && res->status == 200)
        allowed[i] = json::parse(res->body)["response"]["allowed"].get<bool>() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  CHECK(allowed == std::vector<int>(8, 1));
  CHECK(hook.metric("trustctl_verifications_total") == 1);
}

TEST_CASE("serve: a renewed certificate is served without a restart") {
  ServeScene s;
  Webhook hook(*s.gate, s.policy, s.state_dir("state"));
  const std::string old_ca = hook.rotate_certificate();
  bool renewed = false;
  for (int i = 0; i < 40 && !renewed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    renewed = !hook.reachable_with(old_ca);
  }
  CHECK(renewed);
  CHECK(hook.get("/healthz")->status == 200);  // the client trusting the new CA
  // A key that does not match the certificate is refused; the served pair stays.
  auto other = make_self_signed("not the pair");
  REQUIRE(other.ok());
  hook.replace_key(other->key_pem);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(hook.get("/healthz")->status == 200);
  CHECK(tail_file(hook.log()).find("TLS certificate not reloaded") != std::string::npos);
}
