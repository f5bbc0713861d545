// The compose reader agrees with `docker-compose config` on interpolation and merge keys.
// docker-compose is part of the test environment (scripts/setup.sh): when it is missing this
// test fails, it never skips.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "trustctl/admission/workloads.h"
#include "trustctl/core/subprocess.h"

using namespace trustctl;
using namespace trustctl::admission;

namespace {

std::vector<std::string> caps(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence())
    for (const auto& c : node) out.push_back(c.Scalar());
  return out;
}

}  // namespace

TEST_CASE("compose reader agrees with docker-compose config on interpolation and merge keys") {
  const std::string file = TRUSTCTL_FIXTURES_DIR "/admission/compose-interpolation.yml";
  // The same environment for both: the variables of the fixture unset, so defaults apply.
  for (const char* name : {"REGISTRY", "TAG", "APP_USER", "WORKER_TAG"}) ::unsetenv(name);
  auto out = run_process({"docker-compose", "-f", file, "config"});
  if (!out.ok())
    FAIL("docker-compose could not be run (" << out.error().message()
                                             << "): it is required (scripts/setup.sh installs "
                                                "it); this test does not skip");
  INFO(out->err);
  REQUIRE(out->exit_status == 0);
  YAML::Node reference = YAML::Load(out->out);
  YAML::Node services = reference["services"];
  REQUIRE(services.IsMap());

  auto doc = read_workloads(file);  // the process environment, as docker-compose saw it
  INFO((doc.ok() ? "" : doc.error().message()));
  REQUIRE(doc.ok());
  REQUIRE(doc->containers.size() == services.size());
  for (const auto& c : doc->containers) {
    INFO("service " << c.name);
    YAML::Node s = services[c.name];
    REQUIRE(s.IsMap());
    CHECK(c.image == s["image"].as<std::string>());
    CHECK(c.user.value_or("") == (s["user"] ? s["user"].as<std::string>() : ""));
    CHECK(c.cap_add == caps(s["cap_add"]));
    CHECK(c.cap_drop == caps(s["cap_drop"]));
    CHECK(c.read_only_rootfs.value_or(false) == (s["read_only"] && s["read_only"].as<bool>()));
  }
}
