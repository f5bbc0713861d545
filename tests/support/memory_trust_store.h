// A TrustStore in memory, for the trust workflow unit tests (tests/unit/trust): the same
// contract as the registry's OCI store (content-addressed files, a head naming the whole set,
// no compare-and-swap), plus the hooks an attacker or a racing writer needs: replace the head
// by any set of files, replay an old head, corrupt or drop a stored file, run code just before
// or just after a write commits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/crypto/hash.h"
#include "trustctl/truststore/trust_store.h"

namespace trustctl::testing {

class MemoryTrustStore final : public truststore::TrustStore {
 public:
  // Called (without the store's lock) when write() begins and after it committed: a test
  // publishes a competing state there with put().
  std::function<void()> before_write;
  std::function<void()> after_write;

  Result<std::optional<std::string>> head() override {
    std::lock_guard lock(mu_);
    ++heads_read_;
    return head_;
  }

  Result<std::optional<truststore::StoreState>> read(
      std::optional<std::string> head = std::nullopt) override {
    std::lock_guard lock(mu_);
    const auto& wanted = head ? head : head_;
    if (!wanted) return std::optional<truststore::StoreState>();
    auto it = states_.find(*wanted);
    if (it == states_.end())
      return Error(ErrorCode::kNotFound, "the trust store has no state " + *wanted);
    return std::optional<truststore::StoreState>(it->second);
  }

  Result<std::string> file(const truststore::StoreState& state, const std::string& name,
                           std::uint64_t max_length) override {
    std::lock_guard lock(mu_);
    ++files_read_;
    auto it = state.files.find(name);
    if (it == state.files.end())
      return Error(ErrorCode::kNotFound, "the trust data has no file " + name);
    if (it->second.size < 0 || static_cast<std::uint64_t>(it->second.size) > max_length)
      return Error(ErrorCode::kIntegrity, name + " is over the limit");
    auto blob = blobs_.find(it->second.digest);
    if (blob == blobs_.end())
      return Error(ErrorCode::kVerification, "the trust data lists " + name + " but has no blob");
    if ("sha256:" + crypto::sha256_hex(blob->second) != it->second.digest)
      return Error(ErrorCode::kIntegrity, name + " does not match its digest");
    return blob->second;
  }

  Result<truststore::StoreState> write(const std::map<std::string, std::string>& files) override {
    if (before_write) before_write();
    auto state = put(files);
    ++writes_;
    if (after_write) after_write();
    return state;
  }

  Status erase(const std::string& head) override {
    std::lock_guard lock(mu_);
    if (head_ != head) return Error(ErrorCode::kNotFound, "the trust store's head is not " + head);
    head_.reset();
    return {};
  }

  // Makes `files` the current state, as any writer with push rights can; returns it.
  truststore::StoreState put(const std::map<std::string, std::string>& files) {
    std::lock_guard lock(mu_);
    truststore::StoreState state;
    std::string listing = std::to_string(++serial_);
    for (const auto& [name, bytes] : files) {
      std::string digest = "sha256:" + crypto::sha256_hex(bytes);
      blobs_[digest] = bytes;
      state.files[name] = {name, digest, static_cast<std::int64_t>(bytes.size())};
      listing += "\n" + name + " " + digest;
    }
    state.manifest_digest = "sha256:" + crypto::sha256_hex(listing);
    states_[state.manifest_digest] = state;
    head_ = state.manifest_digest;
    return state;
  }

  // The current files by name (empty without trust data).
  std::map<std::string, std::string> files() {
    std::lock_guard lock(mu_);
    std::map<std::string, std::string> out;
    if (!head_) return out;
    for (const auto& [name, f] : states_.at(*head_).files) out[name] = blobs_.at(f.digest);
    return out;
  }
  std::optional<std::string> current_head() {
    std::lock_guard lock(mu_);
    return head_;
  }
  // Points the head at an earlier state again (a replay).
  void restore(const std::string& head) {
    std::lock_guard lock(mu_);
    head_ = head;
  }
  // Changes the bytes stored under the digest the current state lists for `name`.
  void corrupt(const std::string& name, const std::string& bytes) {
    std::lock_guard lock(mu_);
    blobs_[states_.at(*head_).files.at(name).digest] = bytes;
  }
  // Loses the stored bytes of `name` (the state still lists it).
  void drop_blob(const std::string& name) {
    std::lock_guard lock(mu_);
    blobs_.erase(states_.at(*head_).files.at(name).digest);
  }

  int writes() const { return writes_; }
  int heads_read() const { return heads_read_; }
  int files_read() const { return files_read_; }

 private:
  std::mutex mu_;
  std::optional<std::string> head_;
  std::map<std::string, truststore::StoreState> states_;
  std::map<std::string, std::string> blobs_;  // digest -> bytes
  std::uint64_t serial_ = 0;
  std::atomic<int> writes_ = 0;
  std::atomic<int> heads_read_ = 0;
  std::atomic<int> files_read_ = 0;
};

}  // namespace trustctl::testing
