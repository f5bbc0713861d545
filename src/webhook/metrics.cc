#include "trustctl/webhook/metrics.h"

#include <cstdio>

namespace trustctl::webhook {
namespace {

constexpr std::array<Endpoint, 2> kAllEndpoints = {Endpoint::kValidate, Endpoint::kMutate};
constexpr std::array<Outcome, 5> kAllOutcomes = {
    Outcome::kAllowed, Outcome::kDenied, Outcome::kTimeout, Outcome::kBadRequest, Outcome::kError};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A label value, escaped as the exposition format wants (backslash, quote, newline).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += {'\\', c};
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string_view endpoint_name(Endpoint endpoint) {
  return endpoint == Endpoint::kValidate ? "validate" : "mutate";
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllowed:
      return "allowed";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kBadRequest:
      return "bad_request";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

void Metrics::review(Endpoint endpoint, Outcome outcome, double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // a clock that stepped back (or NaN) counts as instant
  const auto e = static_cast<std::size_t>(endpoint);
  reviews_[e][static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  Histogram& h = latency_[e];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      h.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::policy_reload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).fetch_add(1); }

void Metrics::trust_expiry(const std::string& repository, std::int64_t expires) {
  std::lock_guard lock(mutex_);
  expiry_[repository] = expires;
}

std::string Metrics::render(std::int64_t now) const {
  std::string out;
  header(out, "trustctl_admission_reviews_total", "counter",
         "AdmissionReview requests answered, by endpoint and outcome.");
  for (auto e : kAllEndpoints)
    for (auto o : kAllOutcomes)
      out += "trustctl_admission_reviews_total{endpoint=\"" + std::string(endpoint_name(e)) +
             "\",outcome=\"" + std::string(outcome_name(o)) + "\"} " +
             std::to_string(reviews_[static_cast<std::size_t>(e)][static_cast<std::size_t>(o)].load(
                 std::memory_order_relaxed)) +
             "\n";
  header(out, "trustctl_admission_review_duration_seconds", "histogram",
         "Time from a request's arrival to its answer.");
  for (auto e : kAllEndpoints) {
    const Histogram& h = latency_[static_cast<std::size_t>(e)];
    const std::string ep = "endpoint=\"" + std::string(endpoint_name(e)) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i].load(std::memory_order_relaxed);
      out += "trustctl_admission_review_duration_seconds_bucket{" + ep + ",le=\"" +
             number(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    const auto count = h.count.load(std::memory_order_relaxed);
    out += "trustctl_admission_review_duration_seconds_bucket{" + ep + ",le=\"+Inf\"} " +
           std::to_string(count) + "\n";
    out += "trustctl_admission_review_duration_seconds_sum{" + ep + "} " +
           number(static_cast<double>(h.sum_us.load(std::memory_order_relaxed)) / 1e6) + "\n";
    out += "trustctl_admission_review_duration_seconds_count{" + ep + "} " + std::to_string(count) +
           "\n";
  }
  auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
    header(out, name, "counter", help);
    out += std::string(name) + " " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
  };
  counter("trustctl_verification_cache_hits_total",
          "Images answered from verified results without a registry request.", cache_hits_);
  counter("trustctl_verification_cache_misses_total",
          "Images that needed the registry (a recheck or a verification).", cache_misses_);
  counter("trustctl_verifications_total",
          "Trust data verifications (a repository's metadata read and verified).", verifications_);
  counter("trustctl_registry_requests_total", "HTTP requests to registries, retries included.",
          registry_requests_);
  header(out, "trustctl_policy_reloads_total", "counter",
         "Policy reloads, by result (a failed reload keeps the old policy).");
  out +=
      "trustctl_policy_reloads_total{result=\"ok\"} " + std::to_string(reloads_ok_.load()) + "\n";
  out += "trustctl_policy_reloads_total{result=\"failed\"} " +
         std::to_string(reloads_failed_.load()) + "\n";
  header(out, "trustctl_trust_expiry_seconds", "gauge",
         "Seconds until the earliest role of a repository's trust data expires.");
  std::lock_guard lock(mutex_);
  for (const auto& [repo, expires] : expiry_)
    out += "trustctl_trust_expiry_seconds{repository=\"" + label(repo) + "\"} " +
           std::to_string(expires - now) + "\n";
  return out;
}

}  // namespace trustctl::webhook
