// The trustctl command line as a function: finds the command its words name, parses the rest
// against the command's declaration, runs it, and reports a failure on stderr, and under
// `-o json` also as {"error": {"class", "exit_code", "message"}} on stdout. Returns the exit code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace trustctl::cli {

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace trustctl::cli
