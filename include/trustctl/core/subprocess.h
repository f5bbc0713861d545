// Running a helper program (credential helpers, tools in tests) without a shell.
#pragma once

#include <string>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl {

struct ProcessOutput {
  int exit_status = -1;  // the exit code, or 128+signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with `input` on its stdin and captures stdout and stderr.
// Fails with kIo when the program cannot be started; a non-zero exit is not an error here.
Result<ProcessOutput> run_process(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace trustctl
