// deploy/kubernetes/ as an installation relies on it, checked by tests/deploy/check_manifests.sh
// one part per case: the webhook's workload passes admit's hardening checks and the example
// policy is valid; the check bites on a weakened copy; the webhook configurations, Service and
// kustomization have the fields the install needs (kubectl kustomize builds them); make-certs.sh
// makes a certificate its CA verifies for the Service's names.
#include <catch2/catch.hpp>
#include <string>

#include "trustctl/core/subprocess.h"

namespace {

void part(const std::string& which) {
  auto run = trustctl::run_process(
      {"bash", std::string(TRUSTCTL_SOURCE_DIR) + "/tests/deploy/check_manifests.sh", TRUSTCTL_BIN,
       which});
  REQUIRE(run.ok());
  INFO(run->out << run->err);
  CHECK(run->exit_status == 0);
  CHECK(run->out.find("deploy manifests (" + which + "): ok") != std::string::npos);
}

}  // namespace

TEST_CASE(
    "deploy manifests: the webhook's workload passes every hardening check, the policy is valid") {
  part("a");
}

TEST_CASE("deploy manifests: the same workload with a writable root file system is denied") {
  part("b");
}

TEST_CASE("deploy manifests: webhook configurations, workload, Service and kustomization fields") {
  part("c");
}

TEST_CASE("deploy manifests: make-certs.sh makes a certificate its CA verifies for the Service") {
  part("d");
}
