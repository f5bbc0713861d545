// The seam between the trust workflows and where trust data lives (docs/architecture.md): a
// store holds one repository's TUF metadata files as a series of states, each state named by a
// head (a digest), and replaces the whole set in one commit. The OCI store keeps them in the
// registry (oci_store.h); tests use an in-memory store (tests/support/memory_trust_store.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "trustctl/core/result.h"

namespace trustctl::truststore {

// One metadata file of a state.
struct TrustFile {
  std::string name;  // "1.root.json", "timestamp.json", "3.snapshot.json", ...
  std::string digest;
  std::int64_t size = 0;
};

// What the store's head named when it was read.
struct StoreState {
  std::string manifest_digest;             // the head
  std::string repository;                  // informational (the OCI store's annotation)
  std::map<std::string, TrustFile> files;  // by name
};

class TrustStore {
 public:
  virtual ~TrustStore() = default;

  // The current head, or nullopt when the store holds no trust data.
  virtual Result<std::optional<std::string>> head() = 0;
  // The state `head` names (the current one when not given); nullopt when there is none.
  virtual Result<std::optional<StoreState>> read(
      std::optional<std::string> head = std::nullopt) = 0;
  // One file's bytes, verified against the digest the state lists. kNotFound when the state
  // does not list it; kIntegrity beyond max_length; kVerification when the state lists it but
  // the store cannot produce it (tampering).
  virtual Result<std::string> file(const StoreState& state, const std::string& name,
                                   std::uint64_t max_length) = 0;
  // Replaces the current state by exactly `files` (the single commit point).
  virtual Result<StoreState> write(const std::map<std::string, std::string>& files) = 0;
  // Removes the trust data the head names. kUnsupported when the store cannot delete.
  virtual Status erase(const std::string& head) = 0;
};

// Detect-and-repair publishing on a store without compare-and-swap (docs/storage-format.md):
// read the current state; build the new files from it; re-read the head just before writing
// and start over if it moved; write; wait `settle` (longer than the window between the check and
// the write); re-read and ask `confirm` whether the change is there; start over if not. Fails
// with kContention when no attempt can be confirmed.
struct PublishOptions {
  int max_attempts = 12;
  std::chrono::milliseconds settle{1500};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
};

using BuildFiles =
    std::function<Result<std::map<std::string, std::string>>(const std::optional<StoreState>&)>;
using ConfirmChange = std::function<Result<bool>(const StoreState& latest)>;

Result<StoreState> publish(TrustStore& store, const BuildFiles& build, const ConfirmChange& confirm,
                           const PublishOptions& options = {});

}  // namespace trustctl::truststore
