#include "serve_reviews.h"

#include <algorithm>
#include <set>
#include <thread>

#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

using Clock = std::chrono::steady_clock;
using admission::ImageFacts;
using admission::ImageRequest;

// The key evaluate() gives an image: normalised, `latest` when neither tag nor digest.
std::string normalised(const std::string& image) {
  auto ref = registry::Reference::parse(image);
  if (!ref) return image;
  if (ref->tag.empty() && ref->digest.empty()) ref->tag = "latest";
  return ref->string();
}

// The most verifications running on workers at once.
constexpr int kMaxWorkers = 64;

bool network(const std::optional<Error>& e) { return e && e->code() == ErrorCode::kNetwork; }

// The images an UPDATE leaves as they were: every container naming them is at the same field
// path with the same image in the old object.
std::set<std::string> unchanged_images(const webhook::Review& review,
                                       const admission::Document& now) {
  std::set<std::string> out;
  if (review.operation != "UPDATE" || !review.old_object.is_object()) return out;
  auto old = webhook::read_object(review.old_object, review.source());
  if (!old) return out;
  const auto before = webhook::images_by_path(*old);
  std::set<std::string> changed, same;
  for (const auto& c : now.containers) {
    if (c.image.empty()) continue;
    auto it = before.find(c.path);
    (it != before.end() && it->second == c.image ? same : changed).insert(normalised(c.image));
  }
  for (const auto& k : same)
    if (!changed.contains(k)) out.insert(k);
  return out;
}

// "10s" (what the API server appends to the URL) in milliseconds; 0 when absent or unreadable.
long timeout_ms(std::string_view text) {
  if (text.size() < 2 || text.back() != 's') return 0;
  text.remove_suffix(1);
  long ms_factor = 1000;
  if (text.back() == 'm') {
    text.remove_suffix(1);
    ms_factor = 1;
  }
  if (text.empty() || text.size() > 6 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stol(std::string(text)) * ms_factor;
}

// State shared between a review and its background evaluation.
struct Job {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::optional<Result<admission::Report>> report;
  std::atomic<int> verified{0};
  std::set<std::string> unreachable;  // images whose registry could not be reached
};

// What evaluate() asks, answered by the cached verifier: from memory only (`job` null; a miss
// is noted), or with the network.
class RequestVerifier final : public admission::ImageVerifier {
 public:
  RequestVerifier(CachedVerifier& verifier, const std::set<std::string>& unchanged, Job* job,
                  Clock::time_point deadline = {})
      : verifier_(verifier), unchanged_(unchanged), job_(job), deadline_(deadline) {}

  ImageFacts verify(const ImageRequest& request) override {
    ++asked;
    const std::string key = request.reference.string();
    const bool unchanged = unchanged_.contains(key);
    if (job_ == nullptr) {
      if (auto hit = verifier_.cached(request, unchanged)) return *hit;
      missed = true;
      ImageFacts facts;
      facts.error = Error(ErrorCode::kInternal, "not verified yet");
      return facts;
    }
    ImageFacts facts = verifier_.verify(request, unchanged, deadline_);
    job_->verified.fetch_add(1);
    if (network(facts.error)) {
      std::lock_guard lock(job_->mutex);
      job_->unreachable.insert(key);
    }
    return facts;
  }

  int asked = 0;
  bool missed = false;

 private:
  CachedVerifier& verifier_;
  const std::set<std::string>& unchanged_;
  Job* job_;
  Clock::time_point deadline_;
};

HttpAnswer bad_request(const std::string& reason) {
  return {400, reason + "\n", "text/plain; charset=utf-8"};
}

}  // namespace

struct ReviewService::Outcome {
  webhook::Outcome outcome = webhook::Outcome::kAllowed;
  webhook::Decision decision;
};

ReviewService::ReviewService(std::shared_ptr<CachedVerifier> verifier, ReviewSettings settings,
                             std::shared_ptr<const policy::Policy> policy,
                             std::shared_ptr<webhook::Metrics> metrics)
    : verifier_(std::move(verifier)),
      settings_(settings),
      metrics_(std::move(metrics)),
      policy_(std::move(policy)) {}

bool ReviewService::wait_for_workers(std::chrono::milliseconds timeout) {
  std::unique_lock lock(jobs_mutex_);
  return jobs_done_.wait_for(lock, timeout, [&] { return jobs_ == 0; });
}

std::shared_ptr<const policy::Policy> ReviewService::policy() const {
  std::lock_guard lock(policy_mutex_);
  return policy_;
}

void ReviewService::set_policy(std::shared_ptr<const policy::Policy> policy) {
  {
    std::lock_guard lock(policy_mutex_);
    policy_ = std::move(policy);
  }
  verifier_->clear();
}

HttpAnswer ReviewService::review(webhook::Endpoint endpoint, std::string_view body,
                                 std::string_view timeout) {
  const auto start = Clock::now();
  auto deadline_ms = settings_.deadline.count();
  if (long t = timeout_ms(timeout); t > 0)
    deadline_ms = std::min<long>(deadline_ms, t > 2000 ? t - 1000 : t * 3 / 4);
  const auto deadline = start + std::chrono::milliseconds(deadline_ms);
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

  auto review = webhook::parse_review(body);
  if (!review) {
    metrics_->review(endpoint, webhook::Outcome::kBadRequest, elapsed());
    log::warn("/" + std::string(webhook::endpoint_name(endpoint)) + ": " +
              review.error().message());
    return bad_request(review.error().message());
  }
  Outcome outcome = decide(endpoint, *review, deadline);
  metrics_->review(endpoint, outcome.outcome, elapsed());
  if (!outcome.decision.allowed) {
    const std::string& m = outcome.decision.message;
    log::info("denied " + review->source() + " (uid " + review->uid + ") at /" +
              std::string(webhook::endpoint_name(endpoint)) + ": " + m.substr(0, m.find('\n')));
  }
  return {200, webhook::response_body(*review, outcome.decision)};
}

ReviewService::Outcome ReviewService::undecided(const webhook::Review& review,
                                                const std::string& what) const {
  Outcome out;
  out.outcome = webhook::Outcome::kTimeout;
  if (settings_.fail_open) {
    out.decision.warnings.push_back("trustctl: " + what + "; admitted (--fail-open)");
  } else {
    out.decision.allowed = false;
    out.decision.message = review.source() + ": " + what;
  }
  return out;
}

ReviewService::Outcome ReviewService::decide(webhook::Endpoint endpoint,
                                             const webhook::Review& review,
                                             Clock::time_point deadline) {
  Outcome out;
  // Nothing to check: deletions, connections, and an object on its way out (removing a
  // finalizer must never be blocked).
  if (review.operation == "DELETE" || review.operation == "CONNECT" || review.deleting())
    return out;
  auto document = webhook::read_object(review.object, review.source());
  if (!document) {
    out.outcome = webhook::Outcome::kDenied;
    out.decision.allowed = false;
    out.decision.message = document.error().message();
    return out;
  }
  if (document->containers.empty()) {
    // Not a workload kind, or a workload without containers (which the API server refuses).
    // A workload kind read as nothing is refused too: never admit what could not be read.
    if (!admission::is_workload_kind(review.kind)) return out;
    out.outcome = webhook::Outcome::kDenied;
    out.decision.allowed = false;
    out.decision.message = review.source() + ": no containers found to check";
    return out;
  }
  const auto unchanged = unchanged_images(review, *document);
  const auto policy = this->policy();
  std::vector<admission::Document> documents;
  documents.push_back(std::move(document).value());  // (a braced list would copy it)

  // From memory first: a warm review never leaves this thread.
  RequestVerifier memory(*verifier_, unchanged, nullptr);
  auto report = admission::evaluate(documents, *policy, memory);
  std::set<std::string> unreachable;
  if (report && memory.missed) {
    // Verify on a worker, waiting no longer than the deadline: a review that times out leaves
    // the verification to finish (and fill the cache for the retry).
    auto job = std::make_shared<Job>();
    {
      std::lock_guard lock(jobs_mutex_);
      if (jobs_ >= kMaxWorkers) {
        // Registries that do not answer must not pile up threads: refuse more work.
        return undecided(
            review, "busy: " + std::to_string(jobs_) + " verifications are waiting for registries");
      }
      ++jobs_;
    }
    // A worker that cannot start a verification before the review's deadline gives up (a
    // verification of the same repository already running fills the cache for the retry).
    std::thread([self = shared_from_this(), job, documents, unchanged, policy, deadline] {
      RequestVerifier network(*self->verifier_, unchanged, job.get(), deadline);
      auto r = admission::evaluate(documents, *policy, network);
      {
        std::lock_guard lock(job->mutex);
        job->report = std::move(r);
        job->done = true;
      }
      job->cv.notify_all();
      std::lock_guard lock(self->jobs_mutex_);
      if (--self->jobs_ == 0) self->jobs_done_.notify_all();
    }).detach();
    std::unique_lock lock(job->mutex);
    if (!job->cv.wait_until(lock, deadline, [&] { return job->done; })) {
      return undecided(review, "timed out after " + std::to_string(job->verified.load()) + " of " +
                                   std::to_string(memory.asked) + " images");
    }
    report = std::move(*job->report);
    unreachable = job->unreachable;
  }
  if (!report) {
    out.outcome = webhook::Outcome::kDenied;
    out.decision.allowed = false;
    out.decision.message = report.error().message();
    return out;
  }
  out.decision.warnings = webhook::warnings_of(*report);
  if (report->admitted()) {
    if (endpoint == webhook::Endpoint::kMutate) out.decision.patch = webhook::image_patch(*report);
    return out;
  }
  // --fail-open admits what failed only because a registry could not be reached.
  const bool only_unreachable =
      settings_.fail_open && !unreachable.empty() &&
      std::all_of(report->findings.begin(), report->findings.end(), [&](const auto& f) {
        return f.result != admission::Verdict::kFail ||
               (f.check == admission::kSignatureCheck && unreachable.contains(normalised(f.image)));
      });
  if (only_unreachable) {
    out.outcome = webhook::Outcome::kError;
    for (const auto& image : unreachable)
      out.decision.warnings.push_back(webhook::cut_warning("trustctl: " + image +
                                                           " not verified, registry unreachable; "
                                                           "admitted (--fail-open)"));
    return out;
  }
  out.outcome = webhook::Outcome::kDenied;
  out.decision.allowed = false;
  out.decision.message = webhook::denial_message(*report);
  return out;
}

}  // namespace trustctl::cli
