// Detect-and-repair publishing over any TrustStore (docs/storage-format.md).
#include <algorithm>
#include <random>
#include <thread>

#include "trustctl/core/log.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::truststore {

Result<StoreState> publish(TrustStore& store, const BuildFiles& build, const ConfirmChange& confirm,
                           const PublishOptions& options) {
  auto sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::string last_problem = "no attempt was made";
  std::random_device seed;
  std::mt19937 rng(seed());
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    if (attempt > 1) {
      // Jittered back-off so that writers that collided do not collide again in lockstep.
      std::uniform_int_distribution<int> jitter(0, 250 * std::min(attempt, 6));
      sleep(std::chrono::milliseconds(jitter(rng)));
    }
    TRUSTCTL_TRY_ASSIGN(auto current, store.read());
    TRUSTCTL_TRY_ASSIGN(auto files, build(current));
    // Check just before the commit point: did another writer move the tag meanwhile?
    TRUSTCTL_TRY_ASSIGN(auto now, store.head());
    std::string base = current ? current->manifest_digest : std::string();
    if (now.value_or("") != base) {
      last_problem = "another writer changed the trust data while this one was building";
      log::debug("publish attempt " + std::to_string(attempt) + ": " + last_problem);
      continue;
    }
    TRUSTCTL_TRY_ASSIGN(auto written, store.write(files));
    // registry:2 has no compare-and-swap: another writer may have PUT between our check and
    // our PUT, or may do so right after. Wait past that window, then make sure we survived.
    sleep(options.settle);
    TRUSTCTL_TRY_ASSIGN(auto latest, store.read());
    if (!latest) {
      last_problem = "the trust data vanished right after it was written";
      continue;
    }
    TRUSTCTL_TRY_ASSIGN(bool present, confirm(*latest));
    if (present) return *latest;
    last_problem = "a concurrent writer overwrote this change (" + written.manifest_digest + ")";
    log::info("trust data changed concurrently; merging and publishing again");
  }
  return Error(ErrorCode::kContention, "could not publish the trust data after " +
                                           std::to_string(options.max_attempts) +
                                           " attempts: " + last_problem);
}

}  // namespace trustctl::truststore
