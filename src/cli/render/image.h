// push and pull: what moved, and the trust decision behind it.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "emit.h"
#include "trustctl/transfer/transfer.h"
#include "trustctl/trust/view.h"

namespace trustctl::cli {

struct PullReport {
  std::string reference;      // as typed
  std::string destination;    // as typed
  bool verified = false;      // false only with --disable-content-trust
  std::string signed_digest;  // the trusted digest (an index's, when one platform was taken)
  transfer::TransferResult result;
};
// JSON {"reference","destination","verified","signed_digest","manifest":{"mediaType","digest",
// "size"},"blobs_transferred","blobs_reused","bytes_transferred"}; text: the digest written.
TRUSTCTL_RENDERED(PullReport);

struct PushReport {
  std::string source;     // as typed
  std::string reference;  // REPO:TAG, as typed
  bool signed_ = false;   // false only with --no-sign
  transfer::TransferResult result;
};
// JSON {"source","reference","signed","manifest":{"mediaType","digest","size"},
// "blobs_transferred","blobs_reused","bytes_transferred"}; text: the digest pushed.
TRUSTCTL_RENDERED(PushReport);

struct CopyReport {
  std::string source;       // registry/repository
  std::string destination;  // registry/repository
  std::vector<trust::SignedTag> tags;
  bool trust_written = false;          // false: DEST held exactly this trust data already
  std::vector<std::string> root_keys;  // the root key IDs to pin at DEST
  std::string trust_repository;        // the --trust-repository DEST needs ("" for the same path)
  transfer::TransferResult result;
};
// JSON {"source","destination","tags":[{"tag","digest","mediaType","size"}],"trust_data":
// "written"|"unchanged","root_keys":[...],"trust_repository":PATH|null,"blobs_transferred",
// "blobs_reused","bytes_transferred"}; text: DEST:TAG@DIGEST per tag.
TRUSTCTL_RENDERED(CopyReport);

}  // namespace trustctl::cli
