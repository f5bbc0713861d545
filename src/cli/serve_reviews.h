// One AdmissionReview from request bytes to response bytes (docs/webhook.md): the object read
// as `admit` reads a file, evaluated against the current policy over the cached verifier, within
// the request's deadline. Thread-safe; one instance serves every connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "serve_verifier.h"
#include "trustctl/policy/policy.h"
#include "trustctl/webhook/metrics.h"
#include "trustctl/webhook/review.h"

namespace trustctl::cli {

struct ReviewSettings {
  std::chrono::milliseconds deadline{9000};  // at most; a shorter ?timeout= wins
  bool fail_open = false;  // admit, with a warning, what could not be decided in time or reached
};

// An HTTP answer.
struct HttpAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Held by a shared_ptr: a review that times out leaves its verification running on a worker
// that keeps the service alive.
class ReviewService : public std::enable_shared_from_this<ReviewService> {
 public:
  ReviewService(std::shared_ptr<CachedVerifier> verifier, ReviewSettings settings,
                std::shared_ptr<const policy::Policy> policy,
                std::shared_ptr<webhook::Metrics> metrics);
  // Waits up to `timeout` for verifications still running on workers; false if some are.
  bool wait_for_workers(std::chrono::milliseconds timeout);

  // `timeout`: the ?timeout= Kubernetes appends ("10s"), or empty.
  HttpAnswer review(webhook::Endpoint endpoint, std::string_view body, std::string_view timeout);

  std::shared_ptr<const policy::Policy> policy() const;
  // Replaces the policy; verified results are forgotten (they were keyed to the old one).
  void set_policy(std::shared_ptr<const policy::Policy> policy);

 private:
  struct Outcome;
  Outcome decide(webhook::Endpoint endpoint, const webhook::Review& review,
                 std::chrono::steady_clock::time_point deadline);
  // What could not be decided (`what`: why): denied, or admitted with a warning when fail-open.
  Outcome undecided(const webhook::Review& review, const std::string& what) const;

  std::shared_ptr<CachedVerifier> verifier_;
  ReviewSettings settings_;
  std::shared_ptr<webhook::Metrics> metrics_;
  mutable std::mutex policy_mutex_;
  std::shared_ptr<const policy::Policy> policy_;
  // Background evaluations still running (a review that timed out leaves its verification to
  // finish and fill the cache).
  std::mutex jobs_mutex_;
  std::condition_variable jobs_done_;
  int jobs_ = 0;
};

}  // namespace trustctl::cli
