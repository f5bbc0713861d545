#include "trustctl/policy/policy.h"

#include <catch2/catch.hpp>
#include <string>

using namespace trustctl;
using namespace trustctl::policy;

namespace {

const char* kRoot = "1bea24d808736fe76011f29911075b4ba0f1206e8d6e0cb848bf813c6cd72340";
const char* kDigest = "sha256:1bea24d808736fe76011f29911075b4ba0f1206e8d6e0cb848bf813c6cd72340";

const std::string kExample = std::string(R"(version: 1
no-match: deny
defaults:
  signature: required
  checks: lab
rules:
  - images: "localhost:5000/secure-app"
    signature: required
    signers: [release, qa]
    threshold: 2
    roots: [")") + kRoot + R"("]
    checks:
      non-root: enforce
      read-only-rootfs: enforce
      drop-all-capabilities: enforce
      allowed-capabilities: [NET_BIND_SERVICE]
      no-new-privileges: enforce
      tmpfs-noexec-nosuid: enforce
      not-privileged: enforce
      no-host-namespaces: enforce
      no-docker-socket: enforce
      healthcheck: warn
)";

Policy parse(const std::string& text) {
  auto p = parse_policy(text, "policy.yaml");
  INFO(text << "\n-> " << (p.ok() ? "" : p.error().message()));
  REQUIRE(p.ok());
  return *p;
}

// Parses `text`, expects kUsage naming policy.yaml:line, returns the message.
std::string fails(const std::string& text, int line) {
  auto p = parse_policy(text, "policy.yaml");
  INFO(text);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code() == ErrorCode::kUsage);
  CHECK(p.error().exit_code() == 2);
  INFO(p.error().message());
  CHECK(p.error().message().starts_with("policy.yaml:" + std::to_string(line) + ": "));
  return p.error().message();
}

registry::Reference ref(const char* text) {
  auto r = registry::Reference::parse(text);
  REQUIRE(r.ok());
  return *r;
}

// The pattern of the rule that matches `image`, or "" when none.
std::string winner(const Policy& p, const char* image) {
  auto d = p.decide(ref(image));
  return d.pattern ? d.pattern->text() : "";
}

}  // namespace

TEST_CASE("the example policy parses") {
  Policy p = parse(kExample);
  CHECK(p.no_match == NoMatch::kDeny);
  CHECK(p.default_signature == SignatureMode::kRequired);
  REQUIRE(p.rules.size() == 1);
  const Rule& r = p.rules[0];
  CHECK(r.line == 7);
  CHECK(r.signature == SignatureMode::kRequired);
  CHECK(r.signers == std::vector<std::string>{"release", "qa"});
  CHECK(r.threshold == 2);
  CHECK(r.roots == std::vector<std::string>{kRoot});
  CHECK(r.checks.mode(Check::kNonRoot) == CheckMode::kEnforce);
  CHECK(r.checks.mode(Check::kHealthcheck) == CheckMode::kWarn);
  CHECK(r.checks.allowed_capabilities == std::vector<std::string>{"NET_BIND_SERVICE"});
  CHECK(p.match(ref("localhost:5000/secure-app:v1")) == &r);
  CHECK(p.match(ref("localhost:5000/other:v1")) == nullptr);
}

TEST_CASE("the built-in default policy") {
  Policy p = default_policy();
  CHECK(p.source == "<built-in>");
  CHECK(p.no_match == NoMatch::kDeny);
  CHECK(p.default_signature == SignatureMode::kRequired);
  REQUIRE(p.rules.size() == 1);  // `**`: every image, so no-match never denies
  CHECK(p.rules[0].line == 0);
  for (std::size_t i = 0; i < kCheckCount; ++i) {
    auto c = static_cast<Check>(i);
    INFO(check_name(c));
    CHECK(p.default_checks.mode(c) ==
          (c == Check::kHealthcheck ? CheckMode::kWarn : CheckMode::kEnforce));
  }
  CHECK(p.default_checks.allowed_capabilities == std::vector<std::string>{"NET_BIND_SERVICE"});
  auto d = p.decide(ref("nginx"));
  CHECK(d.rule == &p.rules[0]);
  CHECK(d.effective.signature == SignatureMode::kRequired);
  CHECK(d.effective.checks.mode(Check::kNonRoot) == CheckMode::kEnforce);
}

TEST_CASE("rules inherit defaults and override single checks") {
  Policy p = parse(R"(version: 1
no-match: warn
defaults:
  signature: optional
  checks:
    healthcheck: off
    non-root: warn
rules:
  - images: ["docker.io/library/*", "ghcr.io/**"]
    checks:
      read-only-rootfs: off
      allowed-capabilities: [cap_net_bind_service, CHOWN]
  - images: "localhost:5000/app"
    signature: off
    checks: lab
)");
  CHECK(p.no_match == NoMatch::kWarn);
  REQUIRE(p.rules.size() == 2);
  const Rule& a = p.rules[0];
  CHECK(a.signature == SignatureMode::kOptional);
  CHECK(a.checks.mode(Check::kHealthcheck) == CheckMode::kOff);
  CHECK(a.checks.mode(Check::kNonRoot) == CheckMode::kWarn);
  CHECK(a.checks.mode(Check::kReadOnlyRootfs) == CheckMode::kOff);
  CHECK(a.checks.mode(Check::kNotPrivileged) == CheckMode::kEnforce);
  CHECK(a.checks.allowed_capabilities == std::vector<std::string>{"NET_BIND_SERVICE", "CHOWN"});
  const Rule& b = p.rules[1];
  CHECK(b.signature == SignatureMode::kOff);
  CHECK(b.checks.mode(Check::kHealthcheck) == CheckMode::kWarn);
  CHECK(b.checks.mode(Check::kNonRoot) == CheckMode::kEnforce);
  auto d = p.decide(ref("quay.io/x/y"));
  CHECK(d.rule == nullptr);
  CHECK(d.effective.signature == SignatureMode::kOptional);
  CHECK(d.effective.checks.mode(Check::kHealthcheck) == CheckMode::kOff);
}

TEST_CASE("policy errors name the file and line") {
  CHECK_THAT(fails("version: 2\n", 1), Catch::Contains("version must be 1"));
  CHECK_THAT(fails("no-match: deny\n", 1), Catch::Contains("missing `version: 1`"));
  CHECK_THAT(fails("version: 1\nno-macth: deny\n", 2),
             Catch::Contains("unknown field \"no-macth\""));
  CHECK_THAT(fails("version: 1\nno-match: maybe\n", 2),
             Catch::Contains("not one of deny | warn | allow"));
  CHECK_THAT(fails("version: 1\ndefaults:\n  signatures: required\n", 3),
             Catch::Contains("unknown field \"signatures\""));
  CHECK_THAT(fails("version: 1\ndefaults:\n  checks: strict\n", 3),
             Catch::Contains("not a profile"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signature: sometimes\n", 4),
             Catch::Contains("\"sometimes\" is not one of required | optional | off"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signer: [x]\n", 4),
             Catch::Contains("unknown field \"signer\""));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    checks:\n      non-rot: enforce\n", 5),
             Catch::Contains("unknown check \"non-rot\""));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    checks:\n      non-root: strict\n", 5),
             Catch::Contains("not one of enforce | warn | off"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signers: [a]\n    threshold: 2\n", 5),
             Catch::Contains("more than the 1 signers"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signers: [a]\n    threshold: 0\n", 5),
             Catch::Contains("at least 1"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    threshold: 1\n", 4),
             Catch::Contains("more than the 0 signers"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signers: [a]\n    threshold: two\n", 5),
             Catch::Contains("not a whole number"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    roots: [abc123]\n", 4),
             Catch::Contains("64 hex"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: a\n    signers: [a, a]\n", 4),
             Catch::Contains("listed twice"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: \"Nginx\"\n", 3),
             Catch::Contains("malformed image pattern"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images:\n      - ok\n      - \"a//b\"\n", 5),
             Catch::Contains("empty path segment"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: \"a/b**\"\n", 3),
             Catch::Contains("whole path segment"));
  CHECK_THAT(fails("version: 1\nrules:\n  - images: \"a@sha256:12\"\n", 3),
             Catch::Contains("digest"));
  CHECK_THAT(fails("version: 1\nrules:\n  - signature: off\n", 3),
             Catch::Contains("needs `images`"));
  CHECK_THAT(
      fails("version: 1\nrules:\n  - images: a\n    checks:\n      allowed-capabilities: [ALL]\n",
            5),
      Catch::Contains("ALL"));
  CHECK_THAT(fails("version: 1\nrules: [\n", 3), Catch::Contains("not YAML"));
}

TEST_CASE("load_policy reads a file and names it") {
  auto missing = load_policy("/nonexistent/policy.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kIo);
}

TEST_CASE("patterns: star stays within one path segment, double star crosses") {
  Policy p = parse(R"(version: 1
rules:
  - images: "localhost:5000/*"
  - images: "ghcr.io/org/**"
  - images: "**/tools/*"
)");
  CHECK(winner(p, "localhost:5000/app") == "localhost:5000/*");
  CHECK(winner(p, "localhost:5000/team/app").empty());
  CHECK(winner(p, "ghcr.io/org/a/b/c:1") == "ghcr.io/org/**");
  CHECK(winner(p, "ghcr.io/org/a") == "ghcr.io/org/**");
  CHECK(winner(p, "ghcr.io/other/a").empty());
  CHECK(winner(p, "quay.io/tools/x") == "**/tools/*");
  CHECK(winner(p, "quay.io/a/b/tools/x") == "**/tools/*");
  CHECK(winner(p, "quay.io/tools/x/y").empty());
}

TEST_CASE("patterns: anchored, the tag optional, tags and digests matched when given") {
  Policy p = parse(std::string(R"(version: 1
rules:
  - images: "localhost:5000/app"
  - images: "localhost:5000/app:v*"
  - images: "localhost:5000/app@)") +
                   kDigest + R"("
)");
  CHECK(winner(p, "localhost:5000/app:latest") == "localhost:5000/app");
  CHECK(winner(p, "localhost:5000/app:v1.2") == "localhost:5000/app:v*");
  CHECK(winner(p, "localhost:5000/app") == "localhost:5000/app");
  CHECK(winner(p, (std::string("localhost:5000/app@") + kDigest).c_str()) ==
        std::string("localhost:5000/app@") + kDigest);
  CHECK(winner(p,
               "localhost:5000/"
               "app@sha256:0000000000000000000000000000000000000000000000000000000000000000") ==
        "localhost:5000/app");
  // Anchored: no prefix, suffix or substring matches.
  CHECK(winner(p, "localhost:5000/app2").empty());
  CHECK(winner(p, "localhost:5000/team/app").empty());
  auto pat = ImagePattern::parse("localhost:5000/app:v*");
  REQUIRE(pat.ok());
  CHECK_FALSE(pat->matches(ref((std::string("localhost:5000/app@") + kDigest).c_str())));
  auto latest = ImagePattern::parse("localhost:5000/app:latest");
  REQUIRE(latest.ok());
  CHECK(latest->matches(ref("localhost:5000/app")));
}

TEST_CASE("patterns: docker.io names are normalised") {
  for (const char* text : {"nginx", "docker.io/nginx", "docker.io/library/nginx", "library/nginx",
                           "index.docker.io/library/nginx"}) {
    auto pat = ImagePattern::parse(text);
    INFO(text);
    REQUIRE(pat.ok());
    CHECK(pat->matches(ref("nginx")));
    CHECK(pat->matches(ref("docker.io/library/nginx:1.25")));
    CHECK_FALSE(pat->matches(ref("user/nginx")));
  }
  auto user = ImagePattern::parse("user/app");
  REQUIRE(user.ok());
  CHECK(user->matches(ref("docker.io/user/app:1")));
  CHECK_FALSE(user->matches(ref("ghcr.io/user/app")));
  auto star = ImagePattern::parse("*");
  REQUIRE(star.ok());
  CHECK(star->matches(ref("redis")));
  CHECK_FALSE(star->matches(ref("user/redis")));
  auto all = ImagePattern::parse("**");
  REQUIRE(all.ok());
  CHECK(all->matches(ref("redis")));
  CHECK(all->matches(ref("localhost:5000/a/b:c")));
}

TEST_CASE("the most specific rule wins, ties go to the first in the file") {
  Policy p = parse(std::string(R"(version: 1
rules:
  - images: "**"
  - images: "localhost:5000/**"
  - images: "localhost:5000/*"
  - images: "localhost:5000/app"
  - images: "localhost:5000/app:*"
  - images: "localhost:5000/app:v1"
  - images: "localhost:5000/app@)") +
                   kDigest + R"("
  - images: "localhost:5000/a*"
  - images: "localhost:5000/*p"
)");
  CHECK(winner(p, "quay.io/x") == "**");
  CHECK(winner(p, "localhost:5000/a/b") == "localhost:5000/**");
  CHECK(winner(p, "localhost:5000/zzz") == "localhost:5000/*");
  CHECK(winner(p, "localhost:5000/app") == "localhost:5000/app:*");  // no tag = latest
  CHECK(winner(p, "localhost:5000/app:v2") == "localhost:5000/app:*");
  CHECK(winner(p, "localhost:5000/app:v1") == "localhost:5000/app:v1");
  CHECK(winner(p, (std::string("localhost:5000/app:v1@") + kDigest).c_str()) ==
        std::string("localhost:5000/app@") + kDigest);
  // a* and *p both have one star and the same number of literals: the first wins.
  CHECK(winner(p, "localhost:5000/ap") == "localhost:5000/a*");
  // more literal characters win among equal wildcards
  CHECK(winner(p, "localhost:5000/axp") == "localhost:5000/a*");
  Policy q = parse(R"(version: 1
rules:
  - images: "localhost:5000/*p"
  - images: "localhost:5000/a*"
)");
  CHECK(winner(q, "localhost:5000/ap") == "localhost:5000/*p");
}
