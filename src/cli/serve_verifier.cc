#include "serve_verifier.h"

#include <algorithm>
#include <ctime>

#include "admit_images.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string image_key(const admission::ImageRequest& r) {
  return r.reference.string() + (r.want_user ? " +user" : "");
}

// Bounds on what the cache holds (a requester can name any number of images).
constexpr std::size_t kMaxEntries = 4096;
constexpr std::size_t kMaxImages = 1024;

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The earliest expiry of the roles and signers a verified state rests on.
std::int64_t earliest_expiry(const trust::TrustedView& view) {
  std::int64_t earliest = INT64_MAX;
  for (const auto& r : view.roles)
    if (r.expires > 0) earliest = std::min(earliest, r.expires);
  for (const auto& s : view.signers)
    if (s.expires > 0 && s.error.empty()) earliest = std::min(earliest, s.expires);
  return earliest;
}

bool network(const std::optional<Error>& e) { return e && (e->code() == ErrorCode::kNetwork); }

}  // namespace

CachedVerifier::CachedVerifier(const Context& ctx, std::chrono::milliseconds recheck,
                               std::shared_ptr<webhook::Metrics> metrics)
    : ctx_(ctx), recheck_(recheck), metrics_(std::move(metrics)) {}

CachedVerifier::Slot CachedVerifier::slot(const admission::ImageRequest& request) {
  registry::Reference repo = request.reference;
  repo.tag.clear();
  repo.digest.clear();
  const std::string name = repo.name();
  const std::string key = name + " roots=" + join(request.roots);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries && !entries_.contains(key)) {
    // Images of ever new repositories must not grow memory without bound: forget the entries
    // no review is using (they are verified again when asked for).
    std::erase_if(entries_, [](const auto& kv) { return kv.second.use_count() == 1; });
  }
  auto& e = entries_[key];
  if (!e) {
    e = std::make_shared<Entry>();
    e->repository = name;
  }
  auto& l = repository_locks_[name];
  if (!l) l = std::make_unique<std::shared_timed_mutex>();
  return {e, l.get()};
}

void CachedVerifier::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();  // entries in use stay alive through their shared_ptr
}

bool CachedVerifier::fresh(const Entry& e, bool unchanged) const {
  if (!e.known) return false;
  const std::int64_t now = now_unix();
  if (e.current && now >= e.expires) return false;  // expired since: verify (and fail) again
  if (unchanged) return true;
  auto limit = recheck_;
  if (e.current)
    limit = std::min<std::chrono::milliseconds>(limit, std::chrono::seconds(e.expires - now));
  return Clock::now() - e.checked < limit;
}

std::optional<admission::ImageFacts> CachedVerifier::cached(const admission::ImageRequest& request,
                                                            bool unchanged) {
  Slot s = slot(request);
  std::shared_lock lock(*s.lock, std::try_to_lock);
  if (!lock.owns_lock() || !fresh(*s.entry, unchanged)) return std::nullopt;
  const Entry& e = *s.entry;
  if (e.error) {
    admission::ImageFacts facts;
    facts.error = e.error;
    metrics_->cache_hit();
    return facts;
  }
  auto it = e.images.find(image_key(request));
  if (it == e.images.end()) return std::nullopt;
  metrics_->cache_hit();
  return it->second;
}

std::optional<Error> CachedVerifier::update(Entry& e, const admission::ImageRequest& request) {
  if (!e.access) {
    registry::Reference repo = request.reference;
    repo.tag.clear();
    repo.digest.clear();
    trust::VerifyOptions options = verify_options(ctx_);
    options.allow_tofu = false;  // admission never trusts on first use
    options.policy_roots = request.roots;
    options.notice = [](const std::string& m) { log::debug(m); };
    auto access = open_trust(repo, ctx_, std::move(options));
    if (!access) {
      e.error = access.error();
      e.known = true;
      e.checked = Clock::now();
      return std::nullopt;
    }
    e.access = std::move(access).value();
  }
  // What the registry's trust tag names now.
  auto head = e.access->store->head();
  if (!head) return head.error();
  const std::string now_head = head->value_or("");
  if (e.known && now_head == e.head && !(e.current && now_unix() >= e.expires)) {
    e.checked = Clock::now();
    return std::nullopt;
  }
  metrics_->verification();
  e.images.clear();
  auto current = e.access->refresh();
  if (!current) {
    if (network(current.error())) return current.error();
    e.current.reset();
    e.error = current.error();
    e.head = now_head;
  } else {
    e.error.reset();
    e.head = current->state.manifest_digest;
    e.expires = earliest_expiry(current->view());
    metrics_->trust_expiry(e.repository, e.expires);
    e.current = std::move(current).value();
  }
  e.known = true;
  e.checked = Clock::now();
  return std::nullopt;
}

admission::ImageFacts CachedVerifier::verify(const admission::ImageRequest& request, bool unchanged,
                                             Clock::time_point deadline) {
  if (auto hit = cached(request, unchanged)) return *hit;
  metrics_->cache_miss();
  Slot s = slot(request);
  admission::ImageFacts facts;
  std::unique_lock lock(*s.lock, std::defer_lock);
  if (!lock.try_lock_until(deadline)) {
    facts.error = Error(ErrorCode::kNetwork,
                        "gave up waiting for another verification of " + s.entry->repository);
    return facts;
  }
  Entry& e = *s.entry;
  if (!fresh(e, unchanged)) {
    if (auto failed = update(e, request)) {
      facts.error = *failed;
      return facts;
    }
  }
  if (e.error) {
    facts.error = e.error;
    return facts;
  }
  const std::string key = image_key(request);
  if (auto it = e.images.find(key); it != e.images.end()) return it->second;
  if (e.images.size() >= kMaxImages) e.images.clear();
  facts = image_facts(*e.access, *e.current, request);
  if (!network(facts.error) && !network(facts.user_error)) e.images.emplace(key, facts);
  return facts;
}

}  // namespace trustctl::cli
