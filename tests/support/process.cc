#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace trustctl::testing {

Result<pid_t> spawn_daemon(const DaemonSpec& spec) {
  if (spec.argv.empty()) return Error(ErrorCode::kInternal, "spawn_daemon: empty argv");
  // Everything the child touches is prepared before fork: only async-signal-safe calls after.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (spec.env) {
    for (const auto& e : *spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char** env = spec.env ? envp.data() : environ;
  const char* log_path = spec.log_file.empty() ? "/dev/null" : spec.log_file.c_str();
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return Error(ErrorCode::kIo, std::string("pipe2: ") + std::strerror(errno));
  const pid_t parent = ::getpid();
  const bool die_with_parent = spec.die_with_parent;

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Error(ErrorCode::kIo, std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    auto fail = [&](int e) {
      ssize_t ignored = ::write(report[1], &e, sizeof e);
      (void)ignored;
      ::_exit(127);
    };
    ::setsid();
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    int in = ::open("/dev/null", O_RDONLY);
    int log = ::open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0) fail(errno);
    if (::dup2(in, 0) < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) fail(errno);
    // Close every other descriptor but the report pipe (close-on-exec anyway).
    if (report[1] > 3) ::close_range(3, static_cast<unsigned>(report[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(report[1]) + 1, ~0U, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), env);
    fail(errno);
  }
  ::close(report[1]);
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n > 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Error(ErrorCode::kIo, "cannot run " + spec.argv[0] + ": " + std::strerror(child_errno));
  }
  return pid;
}

std::vector<std::string> process_cmdline(pid_t pid) {
  std::vector<std::string> argv;
  if (pid <= 0) return argv;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

bool process_running(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;  // gone meanwhile
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

namespace {

enum class Child { kReaped, kRunning, kNotOurs };

Child try_reap(pid_t pid) {
  int status;
  pid_t r;
  while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid) return Child::kReaped;
  return r == 0 ? Child::kRunning : Child::kNotOurs;
}

}  // namespace

bool reap_if_exited(pid_t pid) { return pid > 0 && try_reap(pid) == Child::kReaped; }

Status stop_process(pid_t pid, const CmdlineMatcher& is_ours, std::chrono::milliseconds grace) {
  if (pid <= 0) return {};
  Child state = try_reap(pid);
  if (state == Child::kReaped) return {};
  // An unreaped child cannot have had its PID reused; anything else must be alive and ours.
  const bool child = state == Child::kRunning;
  if (!child && !process_running(pid)) return {};
  std::vector<std::string> argv = process_cmdline(pid);
  if (argv.empty() && !child) return {};  // exited between the checks
  if (!argv.empty() && !is_ours(argv)) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Error(ErrorCode::kInternal,
                 "pid " + std::to_string(pid) + " is not ours (" + cmd + "); left alone");
  }
  // A child counts as gone only once reaped: a multi-threaded process shows 'Z' for its main
  // thread while the other threads still exit.
  auto gone = [pid, child] {
    return child ? try_reap(pid) != Child::kRunning : !process_running(pid);
  };
  auto wait_until = [&](std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      if (gone()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return gone();
  };
  // Not our child (trustctl-testenv stop): its zombie waits for init to reap it; give that a
  // moment so that `ps` right after shows nothing.
  auto let_init_reap = [pid, child] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!child && ::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  ::kill(pid, SIGTERM);
  if (wait_until(std::chrono::steady_clock::now() + grace)) return let_init_reap(), Status();
  ::kill(pid, SIGKILL);
  if (wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(5)))
    return let_init_reap(), Status();
  return Error(ErrorCode::kInternal, "pid " + std::to_string(pid) + " survived SIGKILL");
}

Result<int> pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(fd);
    return Error(ErrorCode::kIo, std::string("bind 127.0.0.1:0: ") + std::strerror(e));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string tail_file(const std::string& path, size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string find_program(std::string_view name) {
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/sbin:/usr/bin";
  std::stringstream ss(dirs);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace trustctl::testing
