#include "progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trustctl::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string rate_text(double bytes_per_second) {
  return human_bytes(static_cast<std::int64_t>(std::llround(bytes_per_second))) + "/s";
}

}  // namespace

std::string human_bytes(std::int64_t bytes) {
  if (bytes < 0) bytes = 0;
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes) / 1000.0;
  std::size_t unit = 0;
  // 999.96 kB would print as "1000.0 kB": that is 1.0 MB.
  while (v >= 999.95 && unit + 1 < std::size(kUnits)) {
    v /= 1000.0;
    ++unit;
  }
  return fixed1(v) + " " + kUnits[unit];
}

std::string human_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 59.95) return fixed1(seconds) + " s";
  return human_eta(seconds);
}

std::string human_eta(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--";
  const long s = std::lround(std::ceil(seconds));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string short_digest(const std::string& digest) {
  const auto colon = digest.find(':');
  const std::size_t hex = colon == std::string::npos ? 0 : colon + 1;
  return digest.substr(0, hex + 12);
}

std::string summary_line(const TransferSummary& s) {
  std::string line = s.verb + " " + s.reference;
  if (!s.digest.empty()) line += " (" + short_digest(s.digest) + ")";
  line += ": " + std::to_string(s.blobs_transferred) +
          (s.blobs_transferred == 1 ? " blob, " : " blobs, ") + human_bytes(s.bytes_transferred) +
          " in " + human_duration(s.seconds);
  if (s.bytes_transferred > 0 && s.seconds > 0)
    line += " (" + rate_text(static_cast<double>(s.bytes_transferred) / s.seconds) + ")";
  line += ", " + std::to_string(s.blobs_reused) + " reused";
  return line;
}

TransferDisplay::TransferDisplay(std::ostream& err, bool tty, bool quiet, std::string reference,
                                 Clock clock)
    : err_(err),
      tty_(tty),
      quiet_(quiet),
      reference_(std::move(reference)),
      clock_(std::move(clock)),
      start_(clock_()) {}

transfer::ProgressSink TransferDisplay::sink() {
  if (quiet_) return {};
  return [this](const transfer::BlobProgress& p) { update(p); };
}

void TransferDisplay::update(const transfer::BlobProgress& p) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  const auto now = clock_();
  auto [it, added] = blobs_.try_emplace(p.digest);
  Blob& b = it->second;
  if (added) {
    b.digest = p.digest;
    b.started = now;
    b.order = blobs_.size();
  }
  if (p.done < b.done) b.started = now;  // a retry starts the blob over: so does its rate
  const bool was_finished = b.reused || (b.size > 0 && b.done >= b.size);
  b.done = std::max<std::int64_t>(p.done, 0);
  b.size = p.size;
  b.reused = b.reused || p.reused;
  const bool is_finished = b.reused || b.done >= b.size;
  if (is_finished && !was_finished) b.finished = now;
  if (!tty_) return;
  if (drawn_once_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  drawn_once_ = true;
  draw(frame(now));
}

std::vector<std::string> TransferDisplay::frame(std::chrono::steady_clock::time_point now) const {
  std::vector<const Blob*> active, recent;
  for (const auto& [digest, b] : blobs_) {
    const bool finished = b.reused || b.done >= b.size;
    if (!finished)
      active.push_back(&b);
    else if (now - b.finished < kFinishedLinger)
      recent.push_back(&b);
  }
  std::sort(active.begin(), active.end(),
            [](const Blob* a, const Blob* b) { return a->order < b->order; });
  std::sort(recent.begin(), recent.end(),
            [](const Blob* a, const Blob* b) { return a->finished > b->finished; });
  std::vector<std::string> lines;
  std::size_t hidden_active = 0;
  for (const Blob* b : active) {
    if (lines.size() == kMaxBlobLines) {
      ++hidden_active;
      continue;
    }
    const double elapsed = seconds_between(b->started, now);
    const double rate = elapsed > 0 ? static_cast<double>(b->done) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(b->size - b->done) / rate : -1;
    lines.push_back(short_digest(b->digest) + "  " + human_bytes(b->done) + " / " +
                    human_bytes(b->size) + "  " + rate_text(rate) + "  ETA " + human_eta(eta));
  }
  for (const Blob* b : recent) {
    if (lines.size() == kMaxBlobLines) break;
    lines.push_back(short_digest(b->digest) + "  " +
                    (b->reused ? std::string("reused") : "done " + human_bytes(b->size)));
  }
  const Totals t = totals_locked();
  const double elapsed = seconds_between(start_, now);
  std::string total = reference_ + ": " + std::to_string(t.blobs_finished - t.blobs_reused) +
                      " done, " + std::to_string(t.blobs_reused) + " reused, " +
                      std::to_string(active.size()) + " in flight";
  if (hidden_active > 0) total += " (" + std::to_string(hidden_active) + " not shown)";
  total += ", " + human_bytes(t.bytes_done);
  if (elapsed > 0 && t.bytes_done > 0)
    total += " at " + rate_text(static_cast<double>(t.bytes_done) / elapsed);
  lines.push_back(std::move(total));
  return lines;
}

void TransferDisplay::draw(const std::vector<std::string>& lines) {
  std::string out;
  if (lines_drawn_ > 0) out += "\r\x1b[" + std::to_string(lines_drawn_) + "A";
  for (const auto& line : lines) out += "\x1b[2K" + line + "\n";
  out += "\x1b[J";  // what is left of a taller previous frame
  err_ << out << std::flush;
  lines_drawn_ = lines.size();
}

void TransferDisplay::finish(const transfer::TransferResult& result, std::string_view verb) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (quiet_ || finished_) return;
  finished_ = true;
  const auto now = clock_();
  TransferSummary s;
  s.verb = std::string(verb);
  s.reference = reference_;
  s.digest = result.manifest.digest;
  s.blobs_transferred = result.blobs_transferred;
  s.blobs_reused = result.blobs_reused;
  s.bytes_transferred = result.bytes_transferred;
  s.seconds = seconds_between(start_, now);
  if (tty_)
    draw({summary_line(s)});  // in place of the live lines
  else
    err_ << summary_line(s) << "\n" << std::flush;
}

TransferDisplay::Totals TransferDisplay::totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totals_locked();
}

TransferDisplay::Totals TransferDisplay::totals_locked() const {
  Totals t;
  for (const auto& [digest, b] : blobs_) {
    ++t.blobs_seen;
    if (b.reused) ++t.blobs_reused;
    if (b.reused || b.done >= b.size) ++t.blobs_finished;
    if (!b.reused) t.bytes_done += b.done;
  }
  return t;
}

}  // namespace trustctl::cli
