// What push, pull and copy share: registry clients for the transfer's worker threads, and the
// transfer options and flags the command line sets (--jobs, --quiet).
#pragma once

#include "spec.h"
#include "trustctl/registry/reference.h"
#include "trustctl/transfer/transfer.h"

namespace trustctl::cli {

// A fresh client of `ref`'s registry per call (one per worker thread).
transfer::ClientFactory clients_for(const registry::Reference& ref, const Context& ctx);

// --jobs (1 to 32; kUsage otherwise).
Result<transfer::TransferOptions> transfer_options(const Context& ctx);

// The flags push, pull and copy share: --jobs, --quiet (no progress display, no summary line).
extern const FlagSpec kJobsFlag;
extern const FlagSpec kQuietFlag;

// Whether stderr is a terminal (the progress display draws there only then).
bool stderr_is_tty();

}  // namespace trustctl::cli
