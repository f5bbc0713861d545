#include <catch2/catch.hpp>

#include "trustctl/core/subprocess.h"

using namespace trustctl;

TEST_CASE("run_process feeds stdin and captures stdout, stderr and the exit status") {
  auto r = run_process({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello");
  REQUIRE(r.ok());
  CHECK(r->out == "hello");
  CHECK(r->err == "oops\n");
  CHECK(r->exit_status == 3);
}

TEST_CASE("run_process survives a child that does not read its stdin") {
  std::string big(1 << 20, 'x');
  auto r = run_process({"true"}, big);
  REQUIRE(r.ok());
  CHECK(r->exit_status == 0);
}

TEST_CASE("run_process of a missing program is an io error") {
  auto r = run_process({"trustctl-no-such-program-xyz"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
}
