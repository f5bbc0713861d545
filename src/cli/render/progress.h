// The progress display of a transfer (push, pull; later copy) on stderr (docs/image-transfer.md,
// "Progress"). stdout is never touched: it carries the command's result.
//
//   TransferDisplay display(ctx.err, ::isatty(STDERR_FILENO) == 1, ctx.has("quiet"), reference);
//   options.progress = display.sink();   // empty when quiet: the transfer reports nothing
//   TRUSTCTL_TRY_ASSIGN(auto result, transfer::pull_image(..., options));
//   display.finish(result, "pulled");    // the summary line
//
// - On a terminal: one line per blob in flight or just finished (short digest, bytes done of
//   its size, rate, ETA; "reused" for a blob that was there already), at most kMaxBlobLines of
//   them, then one totals line; redrawn in place (cursor up, clear line) at most every
//   kRedrawInterval, and replaced at finish() by the summary line.
// - Elsewhere: nothing while transferring, then the summary line alone.
// - Quiet: nothing at all.
//
// The sink is called from the transfer's worker threads; the display serialises them with a
// mutex. The clock is injectable so that tests render deterministically.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/transfer/transfer.h"

namespace trustctl::cli {

// Human units, 1000-based: "512 B", "12.4 kB", "3.1 MB", "1.2 GB", "5.0 TB".
std::string human_bytes(std::int64_t bytes);
// "1.3 s" under a minute, then "2m05s", "1h02m".
std::string human_duration(double seconds);
// An ETA: "5s", "1m05s", "1h02m"; "--" when unknown (negative).
std::string human_eta(double seconds);
// "sha256:1a2b3c4d5e6f" (the algorithm and 12 hex digits).
std::string short_digest(const std::string& digest);

// What the summary line says: verb, reference, the manifest's digest, and the totals.
struct TransferSummary {
  std::string verb;       // "pulled", "pushed"
  std::string reference;  // "localhost:5000/app:v1"
  std::string digest;     // the manifest written or pushed
  int blobs_transferred = 0;
  int blobs_reused = 0;
  std::int64_t bytes_transferred = 0;
  double seconds = 0;
};
// "pulled localhost:5000/app:v1 (sha256:1a2b3c4d5e6f): 3 blobs, 12.4 MB in 1.3 s (9.5 MB/s),
// 2 reused" (one line, no newline; the rate only when bytes moved).
std::string summary_line(const TransferSummary& s);

class TransferDisplay {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::milliseconds kRedrawInterval{100};
  static constexpr std::size_t kMaxBlobLines = 10;
  // How long a finished blob keeps its line (room permitting) before it is only counted.
  static constexpr std::chrono::milliseconds kFinishedLinger{2000};

  // `reference` is what the summary line names; elapsed time counts from construction.
  TransferDisplay(std::ostream& err, bool tty, bool quiet, std::string reference,
                  Clock clock = &std::chrono::steady_clock::now);
  TransferDisplay(const TransferDisplay&) = delete;
  TransferDisplay& operator=(const TransferDisplay&) = delete;

  // For TransferOptions::progress; empty when quiet. Safe to call from several threads; valid
  // as long as the display lives.
  transfer::ProgressSink sink();
  // The transfer succeeded: the final display (terminal) and the summary line, from `result`'s
  // counts and the elapsed time. Nothing when quiet. Called once, after the transfer.
  void finish(const transfer::TransferResult& result, std::string_view verb);

  // What the display knows so far (tests; the totals line).
  struct Totals {
    int blobs_seen = 0;
    int blobs_finished = 0;  // all bytes moved
    int blobs_reused = 0;
    std::int64_t bytes_done = 0;  // over all blobs, as last reported (a retry starts over)
  };
  Totals totals() const;

 private:
  struct Blob {
    std::string digest;
    std::int64_t done = 0;
    std::int64_t size = 0;
    bool reused = false;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point finished;
    std::size_t order = 0;
  };
  void update(const transfer::BlobProgress& p);
  std::vector<std::string> frame(std::chrono::steady_clock::time_point now) const;
  void draw(const std::vector<std::string>& lines);
  Totals totals_locked() const;

  std::ostream& err_;
  const bool tty_;
  const bool quiet_;
  const std::string reference_;
  const Clock clock_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  std::map<std::string, Blob> blobs_;
  bool drawn_once_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  std::size_t lines_drawn_ = 0;
  bool finished_ = false;
};

}  // namespace trustctl::cli
