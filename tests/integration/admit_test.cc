// trustctl admit against a real registry over TLS with token auth: the lab's compose file
// denied before signing and admitted after, each lab rule broken alone, the image config's
// USER, Kubernetes workloads of every kind (kubectl's own objects too), signers and thresholds,
// roots (never first use), a tag@digest that lies, --pin, SARIF checked against the SARIF
// 2.1.0 schema, and bad input (docs/admission.md).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "trust_cli_env.h"
#include "trustctl/core/fs.h"
#include "trustctl/trust/trust_dir.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

const std::string kFixtures = TRUSTCTL_ADMISSION_FIXTURES;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// The lab's docker-compose.secure.yml (Task 6) with its image replaced.
std::string lab_compose(const std::string& image) {
  return replaced(read(kFixtures + "/docker-compose.secure.yml"), "image: secure-app:v1",
                  "image: " + image);
}

// A hardened pod spec (the lab's rules in Kubernetes terms) at `indent` spaces.
std::string pod_spec(const std::string& image, int indent, const std::string& extra_sc = "") {
  const std::string pad(indent, ' ');
  std::string s =
      "securityContext:\n  runAsNonRoot: true\ninitContainers:\n"
      "  - name: init\n    image: " +
      image + "\n" +
      "    securityContext:\n      readOnlyRootFilesystem: true\n"
      "      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n"
      "containers:\n  - name: app\n    image: " +
      image + "\n" +
      "    securityContext:\n      readOnlyRootFilesystem: true\n"
      "      allowPrivilegeEscalation: false\n" +
      extra_sc +
      "      capabilities:\n        drop: [\"ALL\"]\n        add: [\"NET_BIND_SERVICE\"]\n"
      "    readinessProbe:\n      httpGet: {path: /, port: 8080}\n";
  std::string out;
  std::istringstream lines(s);
  std::string line;
  while (std::getline(lines, line)) out += pad + line + "\n";
  return out;
}

// One object of `kind` named `name` around a hardened pod spec.
std::string workload(const std::string& kind, const std::string& name, const std::string& image,
                     const std::string& extra_sc = "") {
  const std::string api = kind == "Pod" || kind == "ReplicationController" ? "v1"
                          : kind == "Job"                                  ? "batch/v1"
                          : kind == "CronJob"                              ? "batch/v1"
                                                                           : "apps/v1";
  std::string head =
      "apiVersion: " + api + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\nspec:\n";
  if (kind == "Pod") return head + pod_spec(image, 2, extra_sc);
  if (kind == "CronJob")
    return head +
           "  schedule: \"@daily\"\n  jobTemplate:\n    spec:\n      template:\n"
           "        spec:\n          restartPolicy: Never\n" +
           pod_spec(image, 10, extra_sc);
  return head + "  template:\n    spec:\n" + pod_spec(image, 6, extra_sc);
}

struct AdmitScene {
  std::unique_ptr<TestRegistry> reg;
  TempDir work;
  std::unique_ptr<User> owner;
  std::string repo;
  AdmitScene() {
    RegistryOptions o;
    o.tls = true;
    o.token = Credentials{"ci", "t0ken-secret"};
    reg = start_registry(std::move(o));
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    owner = std::make_unique<User>(*reg);
    owner->login(*reg);
    repo = reg->host_port() + "/secure-app";
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = work.path + "/" + name;
    REQUIRE(fs::write_file_atomic(path, text, 0644).ok());
    return path;
  }
  void sign(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"sign"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = owner->run(argv);
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
  }
  json admit_json(const User& u, std::vector<std::string> args, int expected) const {
    std::vector<std::string> argv = {"admit", "-o", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = u.run(argv);
    INFO(r.out << r.err);
    REQUIRE(r.exit_status == expected);
    return json::parse(r.out);
  }
};

// check -> result for every finding of `file` (and `workload`/`container` when given).
std::map<std::string, std::string> results(const json& report, const std::string& file,
                                           const std::string& workload = "",
                                           const std::string& container = "") {
  std::map<std::string, std::string> out;
  for (const auto& f : report["findings"]) {
    if (f["file"] != file) continue;
    if (!workload.empty() && f["workload"] != workload) continue;
    if (!container.empty() && f["container"] != container) continue;
    out[f["check"]] = f["result"];
  }
  return out;
}

std::vector<std::string> failed(const json& report, const std::string& file) {
  std::vector<std::string> out;
  for (const auto& f : report["findings"])
    if (f["file"] == file && f["result"] == "fail") out.push_back(f["check"]);
  return out;
}

}  // namespace

TEST_CASE("admit: the lab's compose file is denied before its image is signed, admitted after") {
  AdmitScene s;
  const std::string lab = lab_compose(s.repo + ":app");
  const std::string file = s.write("docker-compose.secure.yml", lab);
  auto before = s.owner->run({"admit", file});
  INFO(before.out << before.err);
  CHECK(before.exit_status == 14);
  CHECK(before.out.find("FAIL  signature") != std::string::npos);
  CHECK(before.out.find("DENIED") != std::string::npos);
  json denied = s.admit_json(*s.owner, {file}, 14);
  CHECK(denied["admitted"] == false);
  CHECK(failed(denied, file) == std::vector<std::string>{"signature"});

  s.sign({"--init", s.repo + ":app"});
  json admitted = s.admit_json(*s.owner, {file}, 0);
  CHECK(admitted["admitted"] == true);
  REQUIRE(admitted["findings"].size() == 11);
  for (const auto& f : admitted["findings"]) {
    INFO(f.dump());
    for (const char* key :
         {"file", "line", "workload", "container", "image", "digest", "check", "result", "message"})
      CHECK(f.contains(key));
    CHECK(f["digest"] == fixture_digest::kSecureApp);
    CHECK(f["line"] == 7);
    CHECK(f["workload"] == "secure-web-app");
    CHECK(f["result"] != "fail");
  }
  CHECK(results(admitted, file)["signature"] == "pass");
  CHECK(results(admitted, file)["non-root"] == "pass");

  SECTION("each lab rule broken alone: denied, naming that check, in one run") {
    const std::vector<std::pair<std::string, std::string>> variants = {
        {"non-root", replaced(lab, "user: \"appuser\"", "user: \"0\"")},
        {"read-only-rootfs", replaced(lab, "    read_only: true\n", "")},
        {"drop-all-capabilities", replaced(lab, "    cap_drop:\n      - ALL\n", "")},
        {"allowed-capabilities", replaced(lab, "- NET_BIND_SERVICE", "- NET_ADMIN")},
        {"no-new-privileges", replaced(lab, "      - no-new-privileges:true\n", "")},
        {"tmpfs-noexec-nosuid", replaced(lab, "/tmp:rw,noexec,nosuid", "/tmp:rw,noexec")},
        {"not-privileged",
         replaced(lab, "read_only: true", "read_only: true\n    privileged: true")},
        {"no-host-namespaces",
         replaced(lab, "read_only: true", "read_only: true\n    network_mode: host")},
        {"no-docker-socket",
         replaced(lab, "read_only: true",
                  "read_only: true\n    volumes:\n      - type: bind\n        source: "
                  "/run/docker.sock\n        target: /var/run/docker.sock")},
    };
    std::vector<std::string> args;
    for (const auto& [check, text] : variants) args.push_back(s.write(check + ".yml", text));
    json r = s.admit_json(*s.owner, args, 14);
    CHECK(r["images_verified"] == 1);  // nine files, one image: verified once
    for (std::size_t i = 0; i < variants.size(); ++i) {
      INFO(variants[i].first);
      CHECK(failed(r, args[i]) == std::vector<std::string>{variants[i].first});
    }
  }
  SECTION("the image config's USER decides when the file sets no user") {
    s.sign({s.repo + ":v1"});
    const std::string no_user = replaced(lab, "    user: \"appuser\"\n", "");
    const std::string app = s.write("app.yml", no_user);
    const std::string v1 = s.write("v1.yml", replaced(no_user, s.repo + ":app", s.repo + ":v1"));
    json r = s.admit_json(*s.owner, {app, v1}, 14);
    CHECK(results(r, app)["non-root"] == "pass");                  // USER appuser
    CHECK(failed(r, v1) == std::vector<std::string>{"non-root"});  // no USER: root
  }
}

TEST_CASE("admit: Kubernetes workloads of every kind, hardened and not") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app"});
  const std::string image = s.repo + ":app";
  std::string all;
  for (const char* kind : {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                           "ReplicationController", "Job", "CronJob"})
    all += (all.empty() ? "" : "---\n") + workload(kind, "hardened", image);
  all += "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n";
  const std::string file = s.write("hardened.yaml", all);
  json r = s.admit_json(*s.owner, {file}, 0);
  CHECK(r["admitted"] == true);
  CHECK(r["images_verified"] == 1);
  REQUIRE(r["skipped"].size() == 1);
  CHECK(r["skipped"][0]["kind"] == "Service");
  std::set<std::string> workloads;
  for (const auto& f : r["findings"]) {
    workloads.insert(f["workload"].get<std::string>());
    if (f["check"] == "tmpfs-noexec-nosuid") CHECK(f["result"] == "pass");
    if (f["check"] == "healthcheck" && f["container"] == "init") CHECK(f["result"] == "skip");
  }
  CHECK(workloads.size() == 8);

  SECTION("container-level settings override the pod's") {
    // runAsUser: 0 in the container beats the pod's runAsNonRoot: true.
    const std::string root =
        s.write("root.yaml", workload("Deployment", "web", image, "      runAsUser: 0\n"));
    json d = s.admit_json(*s.owner, {root}, 14);
    CHECK(results(d, root, "Deployment/web", "app")["non-root"] == "fail");
    CHECK(results(d, root, "Deployment/web", "init")["non-root"] == "pass");
  }
  SECTION("what kubectl creates is denied for what it lacks, the image's USER counted") {
    auto created = run_process({"kubectl", "create", "deployment", "web", "--image=" + image,
                                "--dry-run=client", "-o", "yaml"});
    REQUIRE(created.ok());
    INFO(created->err);
    REQUIRE(created->exit_status == 0);
    const std::string k = s.write("kubectl.yaml", created->out);
    json d = s.admit_json(*s.owner, {k}, 14);
    auto res = results(d, k, "Deployment/web");
    CHECK(res["signature"] == "pass");
    CHECK(res["non-root"] == "pass");  // USER appuser from the verified image config
    CHECK(res["read-only-rootfs"] == "fail");
    CHECK(res["drop-all-capabilities"] == "fail");
    CHECK(res["no-new-privileges"] == "fail");
    CHECK(res["healthcheck"] == "warn");
  }
  SECTION("an unsigned image in one workload denies the file") {
    const std::string mixed =
        s.write("mixed.yaml", all + "---\n" + workload("Job", "unsigned", s.repo + ":v1-docker"));
    json d = s.admit_json(*s.owner, {mixed}, 14);
    CHECK(results(d, mixed, "Job/unsigned", "app")["signature"] == "fail");
    CHECK(results(d, mixed, "Job/hardened", "app")["signature"] == "pass");
  }
}

TEST_CASE("admit: signers and threshold of the digest deployed") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app"});
  for (const char* name : {"release", "qa"}) {
    auto k = s.owner->run({"key", "generate", name, "--dir", s.owner->home.path});
    INFO(k.err);
    REQUIRE(k.exit_status == 0);
    auto a = s.owner->run(
        {"signer", "add", name, s.repo, "--key", s.owner->home.path + "/" + name + ".pub"});
    INFO(a.err);
    REQUIRE(a.exit_status == 0);
  }
  const std::string policy = s.write("policy.yaml", "version: 1\nrules:\n  - images: \"" + s.repo +
                                                        "\"\n    signers: [release, qa]\n"
                                                        "    threshold: 2\n");
  const std::string file = s.write("compose.yml", lab_compose(s.repo + ":signed"));
  const std::string k8s = s.write("k8s.yaml", workload("Deployment", "web", s.repo + ":signed"));
  const std::vector<std::string> args = {"--policy", policy, file, k8s};
  // Signed by the repository key only: the policy's signers have not signed it.
  s.sign({s.repo + ":signed"});
  json r = s.admit_json(*s.owner, args, 14);
  CHECK(failed(r, file) == std::vector<std::string>{"signature"});
  CHECK(failed(r, k8s) == std::vector<std::string>{"signature", "signature"});  // init and app
  s.sign({"--signer", "release", s.repo + ":signed"});
  r = s.admit_json(*s.owner, args, 14);
  std::string message;
  for (const auto& f : r["findings"])
    if (f["check"] == "signature") message = f["message"].get<std::string>();
  CHECK(message.find("2 of [release, qa] must sign") != std::string::npos);
  CHECK(message.find("1 did") != std::string::npos);
  s.sign({"--signer", "qa", s.repo + ":signed"});
  r = s.admit_json(*s.owner, args, 0);
  CHECK(r["admitted"] == true);
  CHECK(r["images_verified"] == 1);
}

TEST_CASE("attack: admission never trusts a root on first use, and a policy root must sign it") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app"});
  const std::string root_key =
      json::parse(
          s.owner->run({"inspect", s.repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
          .get<std::string>();
  const std::string file = s.write("compose.yml", lab_compose(s.repo + ":app"));

  User gate(*s.reg);  // a deploy gate with an empty trust dir
  gate.login(*s.reg);
  json fresh = s.admit_json(gate, {file}, 14);
  CHECK(failed(fresh, file) == std::vector<std::string>{"signature"});
  SECTION("a root trusted on first use by verify --tofu does not count") {
    REQUIRE(gate.run({"verify", "--tofu", s.repo + ":app"}).exit_status == 0);
    json r = s.admit_json(gate, {file}, 14);
    CHECK(failed(r, file) == std::vector<std::string>{"signature"});
    CHECK(r["findings"][0]["message"].get<std::string>().find("on first use") != std::string::npos);
  }
  SECTION("a pinned root counts") {
    REQUIRE(gate.run({"trust", "pin", s.repo, "--fingerprint", root_key}).exit_status == 0);
    CHECK(s.admit_json(gate, {file}, 0)["admitted"] == true);
  }
  SECTION("the policy's roots pin it on a fresh trust dir; another key's root is refused") {
    const std::string good = s.write(
        "good.yaml", "version: 1\nrules:\n  - images: \"**\"\n    roots: [\"" + root_key + "\"]\n");
    CHECK(s.admit_json(gate, {"--policy", good, file}, 0)["admitted"] == true);
    CHECK(s.admit_json(gate, {"--policy", good, file}, 0)["admitted"] == true);  // saved state
    // Without the policy's roots the saved root does not count for admission.
    CHECK(failed(s.admit_json(gate, {file}, 14), file) == std::vector<std::string>{"signature"});
    const std::string other(64, 'a');
    const std::string bad = s.write(
        "bad.yaml", "version: 1\nrules:\n  - images: \"**\"\n    roots: [\"" + other + "\"]\n");
    User fresh_gate(*s.reg);
    fresh_gate.login(*s.reg);
    json r = s.admit_json(fresh_gate, {"--policy", bad, file}, 14);
    CHECK(r["findings"][0]["message"].get<std::string>().find(other) != std::string::npos);
    CHECK_FALSE(has_trusted_root(fresh_gate, s.repo));  // nothing saved as trusted
    // The gate that trusts the real root: the policy key must sign the current root too.
    CHECK(failed(s.admit_json(gate, {"--policy", bad, file}, 14), file) ==
          std::vector<std::string>{"signature"});
  }
}

TEST_CASE("attack: a tag@digest whose digest is not the tag's signed one") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app", s.repo + ":v1"});
  // A reference that names the signed tag but another (also signed) digest: the tag's binding
  // decides, not the digest written beside it.
  const std::string file =
      s.write("compose.yml", lab_compose(s.repo + ":app@" + fixture_digest::kV1));
  json r = s.admit_json(*s.owner, {file}, 14);
  CHECK(failed(r, file) == std::vector<std::string>{"signature"});
  const std::string ok =
      s.write("ok.yml", lab_compose(s.repo + ":app@" + fixture_digest::kSecureApp));
  CHECK(s.admit_json(*s.owner, {ok}, 0)["admitted"] == true);
}

TEST_CASE("admit --pin writes admitted files with digests, changing only image lines") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app"});
  std::string k8s = "# deploy\n" + workload("Deployment", "web", s.repo + ":app") + "---\n" +
                    workload("Job", "once", "\"" + s.repo + ":app\"  # quoted");
  const std::string in = s.write("k8s.yaml", k8s);
  const std::string out = s.work.path + "/pinned.yaml";
  auto r = s.owner->run({"admit", "--pin", out, in});
  INFO(r.out << r.err);
  REQUIRE(r.exit_status == 0);
  const std::string pinned = read(out);
  std::istringstream a(k8s), b(pinned);
  std::string la, lb;
  int changed = 0;
  while (std::getline(a, la)) {
    REQUIRE(std::getline(b, lb));
    if (la == lb) continue;
    ++changed;
    CHECK(la.find("image:") != std::string::npos);
    CHECK(lb == replaced(la, s.repo + ":app", s.repo + ":app@" + fixture_digest::kSecureApp));
  }
  CHECK_FALSE(std::getline(b, lb));
  CHECK(changed == 4);  // init and app containers of both workloads
  // The pinned file is admitted as it stands, with the digest checked against the tag.
  CHECK(s.admit_json(*s.owner, {out}, 0)["admitted"] == true);

  SECTION("--pin - prints the pinned file, the report goes to stderr") {
    auto p = s.owner->run({"admit", "--pin", "-", in});
    REQUIRE(p.exit_status == 0);
    CHECK(p.out == pinned);
    CHECK(p.err.find("admitted") != std::string::npos);
  }
  SECTION("a compose file interpolated from --env-file is pinned to the interpolated image") {
    const std::string env = s.write("deploy.env", "REGISTRY=" + s.reg->host_port() + "\n");
    const std::string compose =
        s.write("compose.yml", lab_compose("${REGISTRY:-localhost:5000}/secure-app:app"));
    auto p = s.owner->run({"admit", "--env-file", env, "--pin", "-", compose});
    INFO(p.err);
    REQUIRE(p.exit_status == 0);
    CHECK(p.out == replaced(read(compose), "${REGISTRY:-localhost:5000}/secure-app:app",
                            s.repo + ":app@" + fixture_digest::kSecureApp));
    auto missing = s.owner->run({"admit", "--env-file", s.work.path + "/none.env", compose});
    CHECK(missing.exit_status == 2);
    CHECK(missing.err.find("--env-file") != std::string::npos);
  }
  SECTION("a denied file is not pinned: nothing is written") {
    const std::string bad = s.write("bad.yaml", workload("Pod", "p", s.repo + ":v1"));
    const std::string none = s.work.path + "/none.yaml";
    CHECK(s.owner->run({"admit", "--pin", none, bad}).exit_status == 14);
    CHECK_FALSE(stdfs::exists(none));
  }
}

TEST_CASE("admit -o sarif validates against the SARIF 2.1.0 schema") {
  AdmitScene s;
  s.sign({"--init", s.repo + ":app"});
  const std::string lab = lab_compose(s.repo + ":app");
  const std::string a = s.write("a.yml", replaced(lab, "    read_only: true\n", ""));
  const std::string b = s.write("b.yml", replaced(lab, "    healthcheck:", "    x-healthcheck:"));
  auto sarif = s.owner->run({"admit", "-o", "sarif", a, b});
  INFO(sarif.err);
  REQUIRE(sarif.exit_status == 14);
  const std::string log = s.write("admit.sarif", sarif.out);
  auto valid = run_process({"node", TRUSTCTL_SARIF_VALIDATOR, log});
  REQUIRE(valid.ok());
  INFO(valid->out << valid->err);
  CHECK(valid->exit_status == 0);
  // The validator refuses what breaks the schema (it can fail).
  json broken = json::parse(sarif.out);
  broken["runs"][0]["results"][0].erase("message");
  auto invalid =
      run_process({"node", TRUSTCTL_SARIF_VALIDATOR, s.write("bad.sarif", broken.dump())});
  REQUIRE(invalid.ok());
  CHECK(invalid->exit_status != 0);

  json j = json::parse(sarif.out);
  const auto& results = j["runs"][0]["results"];
  REQUIRE(results.size() == 2);  // read-only-rootfs fails in a.yml, healthcheck warns in b.yml
  CHECK(results[0]["ruleId"] == "read-only-rootfs");
  CHECK(results[0]["level"] == "error");
  CHECK(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == a);
  CHECK(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 7);
  CHECK(results[1]["ruleId"] == "healthcheck");
  CHECK(results[1]["level"] == "warning");
  CHECK(s.owner->run({"verify", "-o", "sarif", s.repo + ":app"}).exit_status == 2);
}

TEST_CASE("admit: bad files and policies are usage errors naming file and line, nothing written") {
  AdmitScene s;
  const std::string good = s.write("good.yml", lab_compose(s.repo + ":app"));
  const std::string out_dir = s.work.path + "/out";
  REQUIRE(fs::make_dirs(out_dir).ok());
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{kFixtures + "/not-yaml.txt"}, "not-yaml.txt:"},
      {{s.write("top.yml", "services:\n  web:\n    image: a\nvolumez: {}\n")}, "top.yml:4: "},
      {{s.write("typo.yml", "services:\n  web:\n    image: " + s.repo + ":App!\n")},
       "typo.yml:3: "},
      {{"--policy",
        s.write("p1.yaml",
                "version: 1\nrules:\n  - images: \"**\"\n    checks:\n      non-rot: warn\n"),
        good},
       "p1.yaml:5: "},
      {{"--policy", s.write("p2.yaml", "version: 1\nno-match: sometimes\n"), good}, "p2.yaml:2: "},
  };
  for (const auto& [args, where] : cases) {
    std::vector<std::string> argv = {"admit", "--pin", out_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = s.owner->run(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_status == 2);
    CHECK(r.err.find(where) != std::string::npos);
    CHECK(stdfs::is_empty(out_dir));
  }
}
