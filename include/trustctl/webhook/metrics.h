// The webhook's counters for GET /metrics, in the Prometheus text exposition format
// (docs/webhook.md, "Metrics"). Thread-safe; every update is a few atomic operations or one
// short lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace trustctl::webhook {

enum class Endpoint { kValidate, kMutate };
std::string_view endpoint_name(Endpoint endpoint);  // "validate" | "mutate"

// How a review ended.
enum class Outcome { kAllowed, kDenied, kTimeout, kBadRequest, kError };
std::string_view outcome_name(Outcome outcome);  // "allowed", "denied", "timeout", ...

class Metrics {
 public:
  // Upper bounds of the latency histogram, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

  void review(Endpoint endpoint, Outcome outcome, double seconds);
  void cache_hit() { cache_hits_.fetch_add(1, std::memory_order_relaxed); }
  void cache_miss() { cache_misses_.fetch_add(1, std::memory_order_relaxed); }
  void registry_request() { registry_requests_.fetch_add(1, std::memory_order_relaxed); }
  void verification() { verifications_.fetch_add(1, std::memory_order_relaxed); }
  void policy_reload(bool ok);
  // The earliest expiry (unix seconds) of a repository's trust data, last time it was verified.
  void trust_expiry(const std::string& repository, std::int64_t expires);

  // The exposition, with `now` (unix seconds) for trustctl_trust_expiry_seconds.
  std::string render(std::int64_t now) const;

 private:
  static constexpr std::size_t kEndpoints = 2;
  static constexpr std::size_t kOutcomes = 5;
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_us{0};
  };
  std::array<std::array<std::atomic<std::uint64_t>, kOutcomes>, kEndpoints> reviews_{};
  std::array<Histogram, kEndpoints> latency_{};
  std::atomic<std::uint64_t> cache_hits_{0}, cache_misses_{0}, registry_requests_{0},
      verifications_{0}, reloads_ok_{0}, reloads_failed_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> expiry_;
};

}  // namespace trustctl::webhook
