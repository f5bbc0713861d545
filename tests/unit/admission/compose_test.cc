#include <catch2/catch.hpp>
#include <string>

#include "trustctl/admission/workloads.h"

using namespace trustctl;
using namespace trustctl::admission;

namespace {

const std::string kFixtures = TRUSTCTL_FIXTURES_DIR "/admission";

ReadOptions env(Environment e = {}) {
  ReadOptions o;
  o.environment = std::move(e);
  o.env_file = "/nonexistent/.env";
  return o;
}

Document compose(const std::string& text, ReadOptions options = env()) {
  auto d = read_compose(text, "compose.yml", options);
  INFO(text << "\n-> " << (d.ok() ? "" : d.error().message()));
  REQUIRE(d.ok());
  return *d;
}

Container one(const std::string& text, ReadOptions options = env()) {
  Document d = compose(text, std::move(options));
  REQUIRE(d.containers.size() == 1);
  return d.containers.front();
}

std::string fails(const std::string& text, int line, ReadOptions options = env()) {
  auto d = read_compose(text, "compose.yml", options);
  INFO(text);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code() == ErrorCode::kUsage);
  INFO(d.error().message());
  CHECK(d.error().message().starts_with("compose.yml:" + std::to_string(line) + ": "));
  return d.error().message();
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("the lab's hardened compose file is read with every field") {
  auto doc = read_workloads(kFixtures + "/docker-compose.secure.yml", env());
  INFO((doc.ok() ? "" : doc.error().message()));
  REQUIRE(doc.ok());
  CHECK(doc->kind == DocumentKind::kCompose);
  REQUIRE(doc->containers.size() == 1);
  const Container& c = doc->containers[0];
  CHECK(c.file == kFixtures + "/docker-compose.secure.yml");
  CHECK(c.line == 7);
  CHECK(c.workload == "secure-web-app");
  CHECK(c.name == "secure-web-app");
  CHECK(c.kind == ContainerKind::kContainer);
  CHECK(c.image == "secure-app:v1");
  CHECK(c.user == std::optional<std::string>("appuser"));
  CHECK(c.non_root == std::optional<bool>(true));
  CHECK(c.read_only_rootfs == std::optional<bool>(true));
  CHECK(c.cap_drop == Strings{"ALL"});
  CHECK(c.cap_add == Strings{"NET_BIND_SERVICE"});
  CHECK(c.no_new_privileges == std::optional<bool>(true));
  CHECK_FALSE(c.privileged);
  REQUIRE(c.tmpfs.size() == 1);
  CHECK(c.tmpfs[0].path == "/tmp");
  CHECK(c.tmpfs[0].options == Strings{"rw", "noexec", "nosuid"});
  CHECK(c.tmpfs[0].has("noexec"));
  CHECK(c.tmpfs[0].has("nosuid"));
  CHECK_FALSE(c.host_network);
  CHECK_FALSE(c.host_pid);
  CHECK_FALSE(c.host_ipc);
  CHECK(c.docker_socket_mounts.empty());
  CHECK(c.healthcheck == Healthcheck::kPresent);
  CHECK(c.not_expressible.empty());
}

TEST_CASE("compose: an unhardened service has the defaults") {
  Container c = one("services:\n  web:\n    image: nginx\n");
  CHECK(c.line == 3);
  CHECK_FALSE(c.user.has_value());
  CHECK_FALSE(c.non_root.has_value());
  CHECK_FALSE(c.read_only_rootfs.has_value());
  CHECK(c.cap_drop.empty());
  CHECK_FALSE(c.no_new_privileges.has_value());
  CHECK(c.tmpfs.empty());
  CHECK(c.healthcheck == Healthcheck::kAbsent);
}

TEST_CASE("compose: variants of each field") {
  Container c = one(R"(version: "2.4"
services:
  svc:
    image: localhost:5000/app@sha256:1bea24d808736fe76011f29911075b4ba0f1206e8d6e0cb848bf813c6cd72340
    user: "0:0"
    read_only: false
    cap_drop: [cap_net_raw]
    cap_add: [CAP_SYS_ADMIN]
    security_opt: ["no-new-privileges", "seccomp=unconfined"]
    privileged: true
    tmpfs: /run:size=64m
    network_mode: host
    pid: host
    ipc: host
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - type: bind
        source: /run/docker.sock
        target: /docker.sock
      - data:/data
      - type: tmpfs
        target: /cache
    healthcheck:
      disable: true
)");
  CHECK(c.user == std::optional<std::string>("0:0"));
  CHECK(c.non_root == std::optional<bool>(false));
  CHECK(c.read_only_rootfs == std::optional<bool>(false));
  CHECK(c.cap_drop == Strings{"NET_RAW"});
  CHECK(c.cap_add == Strings{"SYS_ADMIN"});
  CHECK(c.no_new_privileges == std::optional<bool>(true));
  CHECK(c.seccomp_profile == std::optional<std::string>("unconfined"));
  CHECK(c.privileged);
  REQUIRE(c.tmpfs.size() == 2);
  CHECK(c.tmpfs[0].path == "/run");
  CHECK(c.tmpfs[0].options == Strings{"size=64m"});
  CHECK(c.tmpfs[1].path == "/cache");
  CHECK(c.host_network);
  CHECK(c.host_pid);
  CHECK(c.host_ipc);
  CHECK(c.docker_socket_mounts == Strings{"/var/run/docker.sock", "/run/docker.sock"});
  CHECK(c.healthcheck == Healthcheck::kDisabled);
  CHECK(c.not_expressible.size() == 1);

  CHECK(one("services:\n  a:\n    image: x\n    security_opt: [\"no-new-privileges=true\"]\n")
            .no_new_privileges == std::optional<bool>(true));
  CHECK(one("services:\n  a:\n    image: x\n    security_opt: [\"no-new-privileges:false\"]\n")
            .no_new_privileges == std::optional<bool>(false));
  CHECK(one("services:\n  a:\n    image: x\n    user: root\n").non_root ==
        std::optional<bool>(false));
  CHECK(one("services:\n  a:\n    image: x\n    user: 1000\n").non_root ==
        std::optional<bool>(true));
  CHECK(one("services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"NONE\"]\n")
            .healthcheck == Healthcheck::kDisabled);
  CHECK(one("services:\n  a:\n    image: x\n    healthcheck:\n      test: curl -f http://x/\n")
            .healthcheck == Healthcheck::kPresent);
  CHECK(one("version: '3'\nservices:\n  a:\n    image: x\n    read_only: yes\n").read_only_rootfs ==
        std::optional<bool>(true));
}

TEST_CASE("compose: several services keep their order and names") {
  Document d = compose("services:\n  b:\n    image: b\n  a:\n    build: .\n");
  REQUIRE(d.containers.size() == 2);
  CHECK(d.containers[0].workload == "b");
  CHECK(d.containers[1].workload == "a");
  CHECK(d.containers[1].image.empty());
  CHECK(d.containers[1].line == 4);
}

TEST_CASE("compose: interpolation from the environment") {
  Environment e{{"TAG", "v2"}, {"EMPTY", ""}, {"USER_ID", "1000"}};
  Container c = one(R"(services:
  a:
    image: "reg.io/app:${TAG}-${MISSING:-d1}-${EMPTY:-d2}-${EMPTY-d3}-$$-${MISSING}-$TAG"
    user: "${USER_ID:?set USER_ID}"
)",
                    env(e));
  CHECK(c.image == "reg.io/app:v2-d1-d2--$--v2");
  CHECK(c.user == std::optional<std::string>("1000"));
  CHECK(one("services:\n  a:\n    image: \"x:${TAG:+alt}${MISSING+alt}\"\n", env(e)).image ==
        "x:alt");
  CHECK_THAT(fails("services:\n  a:\n    image: \"x:${NOPE:?please set NOPE}\"\n", 3, env(e)),
             Catch::Contains("please set NOPE"));
  CHECK_THAT(fails("services:\n  a:\n    image: x\n    user: \"${UNCLOSED\"\n", 4, env(e)),
             Catch::Contains("unclosed"));
  CHECK_THAT(fails("services:\n  a:\n    image: \"x:$ 1\"\n", 3, env(e)),
             Catch::Contains("invalid interpolation"));
}

TEST_CASE("compose: a .env beside the file, the environment wins") {
  ReadOptions o;
  o.environment = Environment{{"APP_USER", "from-env"}};
  auto d = read_workloads(kFixtures + "/dotenv/docker-compose.yml", o);
  INFO((d.ok() ? "" : d.error().message()));
  REQUIRE(d.ok());
  REQUIRE(d->containers.size() == 1);
  CHECK(d->containers[0].image == "localhost:5000/app:from-dotenv");
  CHECK(d->containers[0].user == std::optional<std::string>("from-env"));
  o.environment = Environment{};
  d = read_workloads(kFixtures + "/dotenv/docker-compose.yml", o);
  REQUIRE(d.ok());
  CHECK(d->containers[0].user == std::optional<std::string>("dotenv-user"));
}

TEST_CASE("compose: anchors, aliases and merge keys") {
  auto d = read_workloads(kFixtures + "/compose-interpolation.yml", env());
  INFO((d.ok() ? "" : d.error().message()));
  REQUIRE(d.ok());
  REQUIRE(d->containers.size() == 2);
  const Container& web = d->containers[0];
  CHECK(web.image == "localhost:5000/web:v1");
  CHECK(web.line == 16);
  CHECK(web.user == std::optional<std::string>("appuser"));  // the first merged map wins
  CHECK(web.read_only_rootfs == std::optional<bool>(true));
  CHECK(web.cap_drop == Strings{"ALL"});
  CHECK(web.cap_add == Strings{"NET_BIND_SERVICE"});
  CHECK(web.no_new_privileges == std::optional<bool>(true));
  const Container& worker = d->containers[1];
  CHECK(worker.image == "localhost:5000/worker:stable");
  CHECK(worker.user == std::optional<std::string>("1000:1000"));  // the service's own key wins
  CHECK(worker.cap_add == Strings{"CHOWN"});
  CHECK(worker.cap_drop == Strings{"ALL"});

  Container c = one(R"(x-base: &base
  image: base:1
  privileged: true
services:
  a:
    <<: *base
    privileged: false
)");
  CHECK(c.image == "base:1");
  CHECK_FALSE(c.privileged);
  CHECK(c.line == 2);
  CHECK_THAT(fails("services:\n  a:\n    <<: [1]\n", 3), Catch::Contains("maps only"));
}

TEST_CASE("compose: errors name the file and line") {
  CHECK_THAT(fails("version: '3'\nservice:\n  a:\n    image: x\n", 2),
             Catch::Contains("unknown top-level key \"service\""));
  CHECK(compose("x-anything: {a: 1}\nservices:\n  a:\n    image: x\n").containers.size() == 1);
  CHECK_THAT(fails("services:\n  a:\n    image: x\n    read_only: maybe\n", 4),
             Catch::Contains("not true or false"));
  CHECK_THAT(fails("services:\n  a:\n    image: [x]\n", 3), Catch::Contains("single value"));
  CHECK_THAT(fails("version: '1'\nservices: {}\n", 1), Catch::Contains("version"));
  CHECK_THAT(fails("version: '3'\nnetworks: {}\n", 1), Catch::Contains("needs `services`"));
  CHECK_THAT(fails("services:\n  a:\n    image: x\n   bad: indent\n", 4),
             Catch::Contains("not YAML"));
  CHECK_THAT(fails("services:\n  a:\n    image: x\n  a:\n    image: y\n", 4),
             Catch::Contains("twice"));
  // Settings from another file or service would go unchecked: refused, not ignored.
  CHECK_THAT(fails("include:\n  - base.yml\nservices:\n  a:\n    image: x\n", 1),
             Catch::Contains("`include` is not followed"));
  CHECK_THAT(fails("services:\n  a:\n    image: x\n    extends:\n      service: b\n", 4),
             Catch::Contains("`extends` is not followed"));
}
