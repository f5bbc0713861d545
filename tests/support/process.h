// Background processes for the test harness: started in their own session, stopped by PID
// only after checking /proc/PID/cmdline, never by name.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::testing {

struct DaemonSpec {
  std::vector<std::string> argv;  // argv[0] is a path (not looked up in PATH)
  std::string log_file;           // stdout and stderr are appended here; stdin is /dev/null
  std::optional<std::vector<std::string>> env;  // "NAME=value" entries; unset: inherit ours
  // Kill the process (SIGKILL) when the thread that started it dies, so a crashed test leaves
  // nothing behind. Off for processes meant to outlive their starter (trustctl-testenv).
  bool die_with_parent = true;
};

// fork + setsid + exec. Fails (kIo) when the program cannot be executed.
Result<pid_t> spawn_daemon(const DaemonSpec& spec);

// The argv of a live process (empty when it is gone or a zombie).
std::vector<std::string> process_cmdline(pid_t pid);
// True while `pid` exists and is not a zombie.
bool process_running(pid_t pid);
// If `pid` is our child and has exited, reaps it and returns true.
bool reap_if_exited(pid_t pid);

using CmdlineMatcher = std::function<bool(const std::vector<std::string>& argv)>;

// Stops `pid` if `is_ours(cmdline)`: SIGTERM, SIGKILL after `grace`, then reaps it when it is
// our child. A PID that is already gone is success; a live PID whose command line does not
// match is left alone and reported as an error.
Status stop_process(pid_t pid, const CmdlineMatcher& is_ours,
                    std::chrono::milliseconds grace = std::chrono::seconds(5));

// A port that was free on 127.0.0.1 a moment ago (bind port 0, read it back, close).
Result<int> pick_free_port();

// The last `max_lines` lines of a text file ("" if unreadable).
std::string tail_file(const std::string& path, size_t max_lines = 30);

// Looks `name` up in PATH, then in /usr/sbin and /usr/bin; "" when not found.
std::string find_program(std::string_view name);

}  // namespace trustctl::testing
