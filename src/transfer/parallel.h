// A bounded pool for blob transfers: runs `work(i)` for i in [0, count) on up to `jobs` threads,
// each thread with its own state from `make_state` (a registry client). The first failure stops
// new work and is returned; transfers already running finish.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::transfer::detail {

template <typename State>
Status run_parallel(std::size_t count, int jobs, const std::function<State()>& make_state,
                    const std::function<Status(State&, std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::optional<Error> first_error;
  auto worker = [&] {
    State state = make_state();
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      auto st = work(state, i);
      if (st) continue;
      std::lock_guard lock(mu);
      if (!first_error) first_error = st.error();
      failed = true;
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(count, static_cast<std::size_t>(std::max(jobs, 1)));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();  // this thread works too
  for (auto& t : pool) t.join();
  if (first_error) return *first_error;
  return {};
}

}  // namespace trustctl::transfer::detail
