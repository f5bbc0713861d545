// The transfer progress display (src/cli/render/progress.h) over a fake clock: the summary
// line, human units, rate and ETA, the terminal's in-place redraw and its throttling, several
// worker threads at once, and a retry that starts a blob over.
#include "render/progress.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

using namespace trustctl;
using namespace trustctl::cli;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  TransferDisplay::Clock clock() {
    return [this] { return now; };
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kA = "sha256:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
const std::string kB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

transfer::TransferResult result_of(int transferred, int reused, std::int64_t bytes) {
  transfer::TransferResult r;
  r.manifest.digest = kA;
  r.blobs_transferred = transferred;
  r.blobs_reused = reused;
  r.bytes_transferred = bytes;
  return r;
}

}  // namespace

TEST_CASE("progress: human byte units are 1000-based with one decimal") {
  CHECK(human_bytes(0) == "0 B");
  CHECK(human_bytes(999) == "999 B");
  CHECK(human_bytes(1000) == "1.0 kB");
  CHECK(human_bytes(12'400) == "12.4 kB");
  CHECK(human_bytes(12'400'000) == "12.4 MB");
  CHECK(human_bytes(999'990) == "1.0 MB");  // not "1000.0 kB"
  CHECK(human_bytes(3'100'000'000) == "3.1 GB");
  CHECK(human_bytes(-5) == "0 B");
}

TEST_CASE("progress: durations, ETAs and short digests") {
  CHECK(human_duration(1.26) == "1.3 s");
  CHECK(human_duration(0) == "0.0 s");
  CHECK(human_duration(125) == "2m05s");
  CHECK(human_eta(4.2) == "5s");
  CHECK(human_eta(65) == "1m05s");
  CHECK(human_eta(3720) == "1h02m");
  CHECK(human_eta(-1) == "--");
  CHECK(short_digest(kA) == "sha256:1a2b3c4d5e6f");
}

TEST_CASE("progress: the summary line names verb, reference, digest, totals and rate") {
  TransferSummary s{"pulled", "localhost:5000/app:v1", kA, 3, 2, 12'400'000, 1.3};
  CHECK(summary_line(s) ==
        "pulled localhost:5000/app:v1 (sha256:1a2b3c4d5e6f): 3 blobs, 12.4 MB in 1.3 s "
        "(9.5 MB/s), 2 reused");
  TransferSummary none{"pushed", "r/app:v1", kA, 0, 4, 0, 0.2};
  CHECK(summary_line(none) ==
        "pushed r/app:v1 (sha256:1a2b3c4d5e6f): 0 blobs, 0 B in 0.2 s, "
        "4 reused");
  TransferSummary one{"pushed", "r/app:v1", kA, 1, 0, 500, 0.5};
  CHECK(summary_line(one) ==
        "pushed r/app:v1 (sha256:1a2b3c4d5e6f): 1 blob, 500 B in 0.5 s (1.0 kB/s), 0 reused");
}

TEST_CASE("progress: not a terminal, nothing until one summary line at the end") {
  FakeClock c;
  std::ostringstream err;
  TransferDisplay d(err, false, false, "localhost:5000/app:v1", c.clock());
  auto sink = d.sink();
  REQUIRE(sink);
  c.now += 50ms;
  sink({kA, 500'000, 1'000'000, false});
  c.now += 500ms;
  sink({kA, 1'000'000, 1'000'000, false});
  sink({kB, 10, 10, true});
  CHECK(err.str().empty());
  c.now += 450ms;
  d.finish(result_of(1, 1, 1'000'000), "pulled");
  CHECK(err.str() ==
        "pulled localhost:5000/app:v1 (sha256:1a2b3c4d5e6f): 1 blob, 1.0 MB in 1.0 s "
        "(1.0 MB/s), 1 reused\n");
}

TEST_CASE("progress: quiet, no sink and nothing on stderr") {
  std::ostringstream err;
  TransferDisplay d(err, true, true, "r/app:v1");
  CHECK_FALSE(d.sink());
  d.finish(result_of(1, 0, 10), "pushed");
  CHECK(err.str().empty());
}

TEST_CASE("progress: on a terminal, per-blob lines with rate and ETA, redrawn in place") {
  FakeClock c;
  std::ostringstream err;
  TransferDisplay d(err, true, false, "r/app:v1", c.clock());
  auto sink = d.sink();
  sink({kA, 0, 4'000'000, false});  // first draw: no cursor movement
  const std::string first = err.str();
  CHECK(first.find("\x1b[") == first.find("\x1b[2K"));  // only line clears
  CHECK(count(first, "\n") == 2);                       // one blob line, the totals line
  err.str("");
  c.now += 1s;
  sink({kA, 1'000'000, 4'000'000, false});
  const std::string second = err.str();
  CHECK(second.rfind("\r\x1b[2A", 0) == 0);  // up over the two lines drawn before
  CHECK(count(second, "\x1b[2K") == 2);
  CHECK(second.find("sha256:1a2b3c4d5e6f  1.0 MB / 4.0 MB  1.0 MB/s  ETA 3s") != std::string::npos);
  CHECK(second.find("r/app:v1: 0 done, 0 reused, 1 in flight, 1.0 MB at 1.0 MB/s") !=
        std::string::npos);

  err.str("");
  c.now += 200ms;
  sink({kB, 10, 10, true});  // a reused blob joins: three lines now
  CHECK(err.str().rfind("\r\x1b[2A", 0) == 0);
  CHECK(err.str().find("sha256:bbbbbbbbbbbb  reused") != std::string::npos);
  CHECK(count(err.str(), "\n") == 3);
  err.str("");
  c.now += 200ms;
  sink({kA, 4'000'000, 4'000'000, false});
  CHECK(err.str().rfind("\r\x1b[3A", 0) == 0);
  CHECK(err.str().find("sha256:1a2b3c4d5e6f  done 4.0 MB") != std::string::npos);

  // The summary replaces the display: up over its lines, then the one line.
  err.str("");
  c.now += 100ms;
  d.finish(result_of(1, 1, 4'000'000), "pulled");
  const std::string last = err.str();
  CHECK(last.rfind("\r\x1b[3A", 0) == 0);
  CHECK(last.find("\x1b[2Kpulled r/app:v1 (sha256:1a2b3c4d5e6f): 1 blob, 4.0 MB in 1.5 s "
                  "(2.7 MB/s), 1 reused\n") != std::string::npos);
  CHECK(count(last, "\n") == 1);
  // Nothing after finish.
  err.str("");
  sink({kA, 1, 4'000'000, false});
  CHECK(err.str().empty());
}

TEST_CASE("progress: two updates within 100 ms draw once") {
  FakeClock c;
  std::ostringstream err;
  TransferDisplay d(err, true, false, "r/app:v1", c.clock());
  auto sink = d.sink();
  sink({kA, 10, 1000, false});
  const auto once = err.str();
  CHECK_FALSE(once.empty());
  c.now += 40ms;
  sink({kA, 20, 1000, false});
  c.now += 50ms;
  sink({kA, 30, 1000, false});
  CHECK(err.str() == once);  // throttled
  c.now += 10ms;             // 100 ms after the first draw
  sink({kA, 40, 1000, false});
  CHECK(err.str().size() > once.size());
  CHECK(d.totals().bytes_done == 40);  // the state kept up all along
}

TEST_CASE("progress: at most ten blob lines, the rest counted") {
  FakeClock c;
  std::ostringstream err;
  TransferDisplay d(err, true, false, "r/app:v1", c.clock());
  auto sink = d.sink();
  for (int i = 0; i < 15; ++i) {
    c.now += 200ms;
    sink({"sha256:" + std::string(63, 'a') + std::to_string(i % 10) + std::to_string(i), 1, 100,
          false});
  }
  err.str("");
  c.now += 200ms;
  sink({"sha256:" + std::string(64, 'f'), 1, 100, false});
  const std::string frame = err.str();
  CHECK(count(frame, "\n") == TransferDisplay::kMaxBlobLines + 1);
  CHECK(frame.find("16 in flight (6 not shown)") != std::string::npos);
}

TEST_CASE("progress: a retry that starts a blob over does not corrupt the totals") {
  FakeClock c;
  std::ostringstream err;
  TransferDisplay d(err, false, false, "r/app:v1", c.clock());
  auto sink = d.sink();
  sink({kA, 600, 1000, false});
  sink({kA, 0, 1000, false});  // the retry
  CHECK(d.totals().bytes_done == 0);
  CHECK(d.totals().blobs_finished == 0);
  sink({kA, 1000, 1000, false});
  auto t = d.totals();
  CHECK(t.bytes_done == 1000);
  CHECK(t.blobs_seen == 1);
  CHECK(t.blobs_finished == 1);
}

TEST_CASE("progress: several worker threads report at once") {
  std::ostringstream err;
  TransferDisplay d(err, true, false, "r/app:v1");  // the real clock
  auto sink = d.sink();
  constexpr int kThreads = 8, kBlobsEach = 5, kSteps = 200;
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads; ++w)
    workers.emplace_back([&sink, w] {
      for (int b = 0; b < kBlobsEach; ++b) {
        const std::string digest = "sha256:" + std::to_string(w) + "-" + std::to_string(b);
        if (b == 0) {
          sink({digest, 7, 7, true});
          continue;
        }
        for (int step = 1; step <= kSteps; ++step) sink({digest, step * 10, kSteps * 10, false});
      }
    });
  for (auto& t : workers) t.join();
  auto t = d.totals();
  CHECK(t.blobs_seen == kThreads * kBlobsEach);
  CHECK(t.blobs_reused == kThreads);
  CHECK(t.blobs_finished == kThreads * kBlobsEach);
  CHECK(t.bytes_done == std::int64_t{kThreads} * (kBlobsEach - 1) * kSteps * 10);
  d.finish(result_of(kThreads * (kBlobsEach - 1), kThreads, t.bytes_done), "pushed");
  CHECK(err.str().find("pushed r/app:v1") != std::string::npos);
}
