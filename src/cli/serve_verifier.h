// The webhook's verifier (docs/webhook.md, "Caching"): what admit_images establishes about an
// image, kept per (repository, roots) with the trust manifest digest it was verified at. Within
// the recheck interval an image is answered from memory; after it, one HEAD of the trust data
// decides whether the repository must be verified again. One verification per repository at a
// time: requests that need the same repository wait for it (single flight). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "trust_access.h"
#include "trustctl/admission/evaluate.h"
#include "trustctl/webhook/metrics.h"

namespace trustctl::cli {

class CachedVerifier {
 public:
  using Clock = std::chrono::steady_clock;
  // `ctx`'s trust dir is the state dir.
  CachedVerifier(const Context& ctx, std::chrono::milliseconds recheck,
                 std::shared_ptr<webhook::Metrics> metrics);

  // The facts of one image. `unchanged`: an UPDATE leaves this image as it was, so cached facts
  // are used however old (unless the trust data expired) rather than rechecked. A verification
  // of the repository already running is waited for until `deadline`, then given up (an error).
  admission::ImageFacts verify(const admission::ImageRequest& request, bool unchanged,
                               Clock::time_point deadline);
  // The same without waiting and without the network: nullopt when that is not possible.
  std::optional<admission::ImageFacts> cached(const admission::ImageRequest& request,
                                              bool unchanged);
  // Forgets every verified result (a new policy).
  void clear();

 private:
  // Guarded by its repository's lock: shared to read, exclusive to update (single flight).
  struct Entry {
    std::string repository;
    std::unique_ptr<TrustAccess> access;
    std::optional<trust::StoreView> current;
    std::optional<Error> error;  // the repository's trust data did not verify
    std::string head;    // the trust manifest digest the entry is valid for ("" = no trust data)
    bool known = false;  // verified (or failed for a reason that is not the network)
    Clock::time_point checked;  // when `head` was last confirmed
    std::int64_t expires = 0;   // earliest role expiry of `current` (unix seconds)
    std::map<std::string, admission::ImageFacts> images;  // by image request key
  };
  struct Slot {
    std::shared_ptr<Entry> entry;
    std::shared_timed_mutex* lock;  // of the repository
  };
  Slot slot(const admission::ImageRequest& request);
  bool fresh(const Entry& e, bool unchanged) const;
  // With the lock held exclusively: bring the entry up to date (a HEAD, or a verification).
  // An error is one of the network: nothing is cached for it.
  std::optional<Error> update(Entry& e, const admission::ImageRequest& request);

  const Context ctx_;  // a copy: verifications may outlive the request that started them
  std::chrono::milliseconds recheck_;
  std::shared_ptr<webhook::Metrics> metrics_;
  std::mutex mutex_;  // guards the two maps
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::map<std::string, std::unique_ptr<std::shared_timed_mutex>> repository_locks_;
};

}  // namespace trustctl::cli
