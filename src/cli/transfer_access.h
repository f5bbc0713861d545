// What push, pull and copy share: registry clients for the transfer's worker threads, and the
// transfer options the command line sets (--jobs).
#pragma once

#include "spec.h"
#include "trustctl/registry/reference.h"
#include "trustctl/transfer/transfer.h"

namespace trustctl::cli {

// A fresh client of `ref`'s registry per call (one per worker thread).
transfer::ClientFactory clients_for(const registry::Reference& ref, const Context& ctx);

// --jobs (1 to 32; kUsage otherwise).
Result<transfer::TransferOptions> transfer_options(const Context& ctx);

// The --jobs flag as push, pull and copy declare it.
extern const FlagSpec kJobsFlag;

}  // namespace trustctl::cli
