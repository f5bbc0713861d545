// evaluate(): the lab's hardening rules one by one, the signature rule (signers, threshold,
// roots, optional, no-match), the image config's USER, verification once per image, pins and
// exit codes. Trust verification is faked here; tests/integration/admit_test.cc runs it for real.
#include "trustctl/admission/evaluate.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "trustctl/policy/policy.h"

using namespace trustctl;
using namespace trustctl::admission;

namespace {

const std::string kFixtures = TRUSTCTL_FIXTURES_DIR "/admission";
constexpr char kDigest[] =
    "sha256:5a5f596f95ccf38b57db31f0405dcf9b1c4d6065acbdee852ce3f468dcb42008";
constexpr char kRootKey[] = "1111111111111111111111111111111111111111111111111111111111111111";

// Answers from a table keyed by the normalised reference; counts the calls.
struct FakeVerifier : ImageVerifier {
  std::map<std::string, ImageFacts> answers;
  std::vector<ImageRequest> calls;
  ImageFacts verify(const ImageRequest& request) override {
    calls.push_back(request);
    auto it = answers.find(request.reference.string());
    if (it != answers.end()) return it->second;
    ImageFacts f;
    f.error = Error(ErrorCode::kNoTrustData, request.reference.name() + " has no trust data");
    return f;
  }
};

ImageFacts signed_by(std::vector<std::string> signers, std::string origin = "created") {
  ImageFacts f;
  f.digest = kDigest;
  f.signers = std::move(signers);
  f.root_origin = std::move(origin);
  f.user = "appuser";
  return f;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The lab's docker-compose.secure.yml with its image replaced.
std::string lab_compose(const std::string& image = "localhost:5000/secure-app:v1") {
  std::string text = read(kFixtures + "/docker-compose.secure.yml");
  const std::string from = "image: secure-app:v1";
  text.replace(text.find(from), from.size(), "image: " + image);
  return text;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

Document compose(const std::string& text) {
  ReadOptions o;
  o.environment = Environment{};
  o.env_file = "/nonexistent/.env";
  auto d = read_compose(text, "compose.yml", o);
  INFO(text);
  REQUIRE(d.ok());
  return *d;
}

policy::Policy parse(const std::string& text) {
  auto p = policy::parse_policy(text, "policy.yaml");
  INFO(text << (p.ok() ? "" : p.error().message()));
  REQUIRE(p.ok());
  return *p;
}

Report run(const std::vector<Document>& docs, FakeVerifier& v,
           const policy::Policy& p = policy::default_policy()) {
  auto r = evaluate(docs, p, v);
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

const Finding& finding(const Report& r, std::string_view check, std::size_t container = 0) {
  std::size_t seen = 0;
  std::string last;
  for (const auto& f : r.findings) {
    const std::string key = f.workload + "/" + f.container + ":" + std::to_string(f.line);
    if (!last.empty() && key != last) ++seen;
    last = key;
    if (seen == container && f.check == check) return f;
  }
  FAIL("no finding " << check);
  return r.findings.front();
}

std::vector<std::string> failed_checks(const Report& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.result == Verdict::kFail) out.push_back(f.check);
  return out;
}

}  // namespace

TEST_CASE("the lab's hardened compose file passes every check once its image is signed") {
  FakeVerifier v;
  v.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
  Report r = run({compose(lab_compose())}, v);
  CHECK(r.admitted());
  CHECK(r.exit_code() == 0);
  CHECK(failed_checks(r).empty());
  CHECK(r.findings.size() == 1 + policy::kCheckCount);  // signature + every check
  CHECK(finding(r, "signature").digest == kDigest);
  CHECK(finding(r, "healthcheck").result == Verdict::kPass);
  REQUIRE(r.pins.at("compose.yml").size() == 1);
  CHECK(r.pins.at("compose.yml")[0].pinned ==
        std::string("localhost:5000/secure-app:v1@") + kDigest);
  CHECK(r.pins.at("compose.yml")[0].line == 7);

  SECTION("unsigned: denied, naming signature, nothing to pin") {
    FakeVerifier none;
    Report d = run({compose(lab_compose())}, none);
    CHECK_FALSE(d.admitted());
    CHECK(d.exit_code() == 14);
    CHECK(failed_checks(d) == std::vector<std::string>{"signature"});
    CHECK(finding(d, "signature").message.find("no trust data") != std::string::npos);
    CHECK(finding(d, "signature").digest.empty());
    CHECK(d.pins.empty());
  }
}

TEST_CASE("each lab rule broken alone is denied, naming that check") {
  const std::string lab = lab_compose();
  // (the check, the lab file with only that rule broken)
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"non-root", replaced(lab, "user: \"appuser\"", "user: \"root\"")},
      {"read-only-rootfs", replaced(lab, "read_only: true", "read_only: false")},
      {"drop-all-capabilities", replaced(lab, "      - ALL\n", "      - NET_RAW\n")},
      {"allowed-capabilities", replaced(lab, "- NET_BIND_SERVICE", "- SYS_ADMIN")},
      {"no-new-privileges", replaced(lab, "- no-new-privileges:true", "- no-new-privileges:false")},
      {"tmpfs-noexec-nosuid", replaced(lab, "/tmp:rw,noexec,nosuid", "/tmp:rw,nosuid")},
      {"not-privileged", replaced(lab, "read_only: true", "read_only: true\n    privileged: true")},
      {"no-host-namespaces", replaced(lab, "read_only: true", "read_only: true\n    pid: host")},
      {"no-docker-socket",
       replaced(
           lab, "read_only: true",
           "read_only: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock")},
  };
  for (const auto& [check, text] : variants) {
    FakeVerifier v;
    v.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
    Report r = run({compose(text)}, v);
    INFO(check << "\n" << text);
    CHECK_FALSE(r.admitted());
    CHECK(r.exit_code() == 14);
    CHECK(failed_checks(r) == std::vector<std::string>{check});
    CHECK_FALSE(finding(r, check).message.empty());
    CHECK(r.pins.empty());  // a denied container is never pinned
  }
  SECTION("the healthcheck is warned, not enforced, by the lab profile") {
    for (const std::string& text :
         {replaced(lab, "test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/\"]",
                   "test: [\"NONE\"]"),
          replaced(lab, "healthcheck:", "healthcheck:\n      disable: true")}) {
      FakeVerifier v;
      v.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
      Report r = run({compose(text)}, v);
      CHECK(r.admitted());
      CHECK(finding(r, "healthcheck").result == Verdict::kWarn);
      CHECK(finding(r, "healthcheck").message == "the healthcheck is disabled");
    }
  }
}

TEST_CASE("non-root: the image config decides when the file sets no user") {
  const std::string text = replaced(lab_compose(), "    user: \"appuser\"\n", "");
  FakeVerifier v;
  v.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
  Report ok = run({compose(text)}, v);
  CHECK(ok.admitted());
  CHECK(finding(ok, "non-root").message == "USER appuser from the image config");
  REQUIRE(v.calls.size() == 1);
  CHECK(v.calls[0].want_user);

  for (const std::string user : {"", "root", "0", "0:0", "root:wheel"}) {
    INFO("USER '" << user << "'");
    v.answers["localhost:5000/secure-app:v1"].user = user;
    Report r = run({compose(text)}, v);
    CHECK(failed_checks(r) == std::vector<std::string>{"non-root"});
  }
  SECTION("a config that cannot be read fails non-root, and is an error behind a warning") {
    ImageFacts f = signed_by({"targets"});
    f.user.reset();
    f.user_error = Error(ErrorCode::kNetwork, "connection refused");
    v.answers["localhost:5000/secure-app:v1"] = f;
    Report r = run({compose(text)}, v);
    CHECK(failed_checks(r) == std::vector<std::string>{"non-root"});
    CHECK(finding(r, "non-root").message.find("connection refused") != std::string::npos);
    auto warned =
        parse("version: 1\ndefaults:\n  checks:\n    non-root: warn\nrules:\n  - images: \"**\"\n");
    Report w = run({compose(text)}, v, warned);
    CHECK(w.admitted());
    CHECK(finding(w, "non-root").result == Verdict::kWarn);
    CHECK(w.exit_code() == 3);  // the most severe other code: the network error
  }
  SECTION("an unverified image's config is never read") {
    FakeVerifier none;
    Report r = run({compose(text)}, none);
    CHECK(finding(r, "non-root").result == Verdict::kFail);
    CHECK(finding(r, "non-root").message.find("not verified") != std::string::npos);
  }
  SECTION("a user the file sets is not looked up") {
    FakeVerifier w;
    w.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
    run({compose(lab_compose())}, w);
    REQUIRE(w.calls.size() == 1);
    CHECK_FALSE(w.calls[0].want_user);
  }
}

TEST_CASE("signers and threshold count only the named signers of the deployed digest") {
  const auto p = parse(R"(version: 1
rules:
  - images: "localhost:5000/secure-app"
    signers: [release, qa]
    threshold: 2
)");
  auto verdict = [&](std::vector<std::string> signers) {
    FakeVerifier v;
    v.answers["localhost:5000/secure-app:v1"] = signed_by(std::move(signers));
    Report r = run({compose(lab_compose())}, v, p);
    return finding(r, "signature");
  };
  CHECK(verdict({"release", "qa"}).result == Verdict::kPass);
  CHECK(verdict({"targets", "release", "qa"}).result == Verdict::kPass);
  const Finding one = verdict({"release"});
  CHECK(one.result == Verdict::kFail);
  CHECK(one.message.find("2 of [release, qa] must sign") != std::string::npos);
  CHECK(one.message.find("1 did") != std::string::npos);
  // The repository key and signers the rule does not name count for nothing.
  CHECK(verdict({"targets", "ci", "release"}).result == Verdict::kFail);
  CHECK(verdict({}).result == Verdict::kFail);
}

TEST_CASE("roots: a root trusted on first use is not enough for admission") {
  auto verdict = [&](const policy::Policy& p, ImageFacts facts) {
    FakeVerifier v;
    v.answers["localhost:5000/secure-app:v1"] = std::move(facts);
    Report r = run({compose(lab_compose())}, v, p);
    REQUIRE(v.calls.size() == 1);
    return std::make_pair(finding(r, "signature"), v.calls[0]);
  };
  const auto builtin = policy::default_policy();
  CHECK(verdict(builtin, signed_by({"targets"}, "created")).first.result == Verdict::kPass);
  CHECK(verdict(builtin, signed_by({"targets"}, "pinned")).first.result == Verdict::kPass);
  auto tofu = verdict(builtin, signed_by({"targets"}, "tofu")).first;
  CHECK(tofu.result == Verdict::kFail);
  CHECK(tofu.message.find("on first use") != std::string::npos);
  CHECK(verdict(builtin, signed_by({"targets"}, "policy")).first.result == Verdict::kFail);

  const auto pinned = parse(std::string("version: 1\nrules:\n  - images: \"**\"\n    roots: [\"") +
                            kRootKey + "\"]\n");
  ImageFacts in_roots = signed_by({"targets"}, "tofu");
  in_roots.root_in_roots = true;
  auto [ok, request] = verdict(pinned, in_roots);
  CHECK(ok.result == Verdict::kPass);
  CHECK(request.roots == std::vector<std::string>{kRootKey});  // passed on as the pin
  // A root this trust dir created, but not signed by the policy's key: the policy is stricter.
  auto other = verdict(pinned, signed_by({"targets"}, "created")).first;
  CHECK(other.result == Verdict::kFail);
  CHECK(other.message.find(kRootKey) != std::string::npos);
}

TEST_CASE("signature optional and off, and images that no rule matches") {
  const std::string compose_text = lab_compose("localhost:5000/other:v1");
  SECTION("optional: no trust data is admitted, trust data that fails is not") {
    const auto p =
        parse("version: 1\ndefaults:\n  signature: optional\nrules:\n  - images: \"**\"\n");
    FakeVerifier none;
    Report r = run({compose(compose_text)}, none, p);
    CHECK(r.admitted());
    CHECK(finding(r, "signature").result == Verdict::kSkip);
    CHECK(r.pins.empty());  // nothing verified, nothing pinned
    FakeVerifier bad;
    ImageFacts f;
    f.error = Error(ErrorCode::kVerification, "bad signature on targets.json");
    bad.answers["localhost:5000/other:v1"] = f;
    Report d = run({compose(compose_text)}, bad, p);
    CHECK(failed_checks(d) == std::vector<std::string>{"signature"});
  }
  SECTION("off: not verified at all, and the image's USER is not read") {
    const auto p = parse("version: 1\nrules:\n  - images: \"**\"\n    signature: off\n");
    FakeVerifier v;
    Report r = run({compose(compose_text)}, v, p);
    CHECK(v.calls.empty());
    CHECK(r.admitted());
    CHECK(finding(r, "signature").result == Verdict::kSkip);
  }
  SECTION("no-match deny, warn and allow") {
    const std::string rules = "rules:\n  - images: \"localhost:5000/secure-app\"\n";
    FakeVerifier v;
    v.answers["localhost:5000/other:v1"] = signed_by({"targets"});
    Report deny = run({compose(compose_text)}, v, parse("version: 1\nno-match: deny\n" + rules));
    CHECK(failed_checks(deny) == std::vector<std::string>{"policy"});
    CHECK(finding(deny, "signature").result == Verdict::kSkip);
    CHECK(v.calls.empty());  // a denied image is not fetched
    Report warn = run({compose(compose_text)}, v, parse("version: 1\nno-match: warn\n" + rules));
    CHECK(warn.admitted());
    CHECK(finding(warn, "policy").result == Verdict::kWarn);
    CHECK(finding(warn, "signature").result == Verdict::kPass);
    Report allow = run({compose(compose_text)}, v, parse("version: 1\nno-match: allow\n" + rules));
    CHECK(allow.admitted());
    CHECK(finding(allow, "policy").result == Verdict::kPass);
  }
}

TEST_CASE("an image named in many places is verified once per rule roots") {
  const std::string text = R"(services:
  a:
    image: localhost:5000/secure-app:v1
  b:
    image: localhost:5000/secure-app:v1
  c:
    image: localhost:5000/secure-app:v2
  d:
    image: localhost:5000/secure-app:v1
    user: root
)";
  FakeVerifier v;
  v.answers["localhost:5000/secure-app:v1"] = signed_by({"targets"});
  Report r = run({compose(text), compose(text)}, v);
  CHECK(v.calls.size() == 2);  // v1 and v2, over two files and four containers each
  CHECK(r.images_verified == 2);
  CHECK(finding(r, "signature", 2).result == Verdict::kFail);  // c: v2 is unsigned
  CHECK(finding(r, "signature", 3).result == Verdict::kPass);
}

TEST_CASE("Kubernetes: what a pod spec cannot express is warned, probes only where they exist") {
  auto doc = read_kubernetes(read(kFixtures + "/k8s-workloads.yaml"), "k8s.yaml");
  REQUIRE(doc.ok());
  FakeVerifier v;
  Report r = run({*doc}, v);
  // The hardened pod: its app container's emptyDir tmpfs cannot be noexec,nosuid in Kubernetes.
  bool saw_tmpfs = false, saw_init = false;
  for (const auto& f : r.findings) {
    if (f.workload == "Pod/hardened" && f.container == "app" && f.check == "tmpfs-noexec-nosuid") {
      saw_tmpfs = true;
      CHECK(f.result == Verdict::kWarn);
      CHECK(f.message.find("not expressible") != std::string::npos);
    }
    if (f.workload == "Pod/hardened" && f.container == "setup") {
      if (f.check == "healthcheck") {
        saw_init = true;
        CHECK(f.kind == ContainerKind::kInit);
        CHECK(f.result == Verdict::kSkip);
      }
      if (f.check == "non-root") CHECK(f.result == Verdict::kFail);  // runAsUser: 0 overrides
    }
    if (f.workload == "DaemonSet/agent" && f.result == Verdict::kFail) {
      CHECK((f.check == "signature" || f.check == "not-privileged" ||
             f.check == "no-host-namespaces" || f.check == "no-docker-socket" ||
             f.check == "no-new-privileges" || f.check == "read-only-rootfs" ||
             f.check == "drop-all-capabilities" || f.check == "non-root"));
    }
  }
  CHECK(saw_tmpfs);
  CHECK(saw_init);
  CHECK_FALSE(r.skipped.empty());  // the Service
}

TEST_CASE("an image reference that does not parse is a usage error naming file and line") {
  FakeVerifier v;
  auto r = evaluate({compose("services:\n  web:\n    image: localhost:5000/Secure-App:v1\n")},
                    policy::default_policy(), v);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUsage);
  CHECK(r.error().message().starts_with("compose.yml:3: "));
  CHECK(v.calls.empty());
}

TEST_CASE("a service without an image cannot be verified") {
  FakeVerifier v;
  Report r = run({compose("services:\n  web:\n    build: .\n    user: app\n")}, v);
  CHECK(finding(r, "signature").result == Verdict::kFail);
  CHECK(v.calls.empty());
}
