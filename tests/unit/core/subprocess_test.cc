#include "trustctl/core/subprocess.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

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

TEST_CASE("run_process from parallel threads survives children that do not read their stdin") {
  // Credential helpers run from push/pull worker threads at once: SIGPIPE must stay harmless for
  // every thread, whoever finishes first.
  const std::string big(1 << 20, 'x');
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = i % 2 ? run_process({"true"}, big) : run_process({"head", "-c", "1"}, big);
        if (r.ok() && r->exit_status == 0) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 40);
}

TEST_CASE("run_process of a missing program is an io error") {
  auto r = run_process({"trustctl-no-such-program-xyz"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
}
