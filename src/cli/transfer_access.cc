#include "transfer_access.h"

#include <unistd.h>

#include "registry_access.h"

namespace trustctl::cli {

transfer::ClientFactory clients_for(const registry::Reference& ref, const Context& ctx) {
  return [host = ref.api_host(), &global = ctx.global] { return connect_registry(host, global); };
}

Result<transfer::TransferOptions> transfer_options(const Context& ctx) {
  transfer::TransferOptions options;
  TRUSTCTL_TRY_ASSIGN(auto jobs, ctx.number("jobs"));
  if (jobs) {
    if (*jobs < 1 || *jobs > 32) return Error(ErrorCode::kUsage, "--jobs takes 1 to 32");
    options.jobs = static_cast<int>(*jobs);
  }
  return options;
}

const FlagSpec kJobsFlag{
    "jobs", 'j', "N", "Blobs transferred at once (1 to 32)", ValueKind::kNumber, false, "4"};
const FlagSpec kQuietFlag{"quiet", 'q', "",
                          "No progress display and no summary line on stderr (errors still print)"};

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace trustctl::cli
