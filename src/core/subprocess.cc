#include "trustctl/core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <optional>

extern char** environ;

namespace trustctl {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// Blocks SIGPIPE for the calling thread only, so that a helper exiting without reading its
// stdin does not kill us, and consumes a SIGPIPE raised meanwhile. Changing the process-wide
// disposition instead (sigaction) races other threads running helpers at the same moment: one
// restores the default while another still writes.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    ::sigemptyset(&set_);
    ::sigaddset(&set_, SIGPIPE);
    sigset_t pending;
    ::sigpending(&pending);
    pending_before_ = ::sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    ::sigpending(&pending);
    if (!pending_before_ && ::sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      ::sigtimedwait(&set_, nullptr, &zero);
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t set_{};
  sigset_t old_{};
  bool pending_before_ = false;
};

}  // namespace

Result<ProcessOutput> run_process(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty()) return Error(ErrorCode::kInternal, "run_process: empty argv");
  Pipe in, out, err;
  if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0 ||
      ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return Error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error(ErrorCode::kIo, "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);

  // A helper that exits without reading its stdin must not kill us with SIGPIPE.
  std::optional<SigpipeBlock> sigpipe;
  sigpipe.emplace();

  ProcessOutput result;
  size_t written = 0;
  if (input.empty()) in.close_end(1);
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in.fd[1] >= 0) fds[idx_in = n++] = {in.fd[1], POLLOUT, 0};
    if (out.fd[0] >= 0) fds[idx_out = n++] = {out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) fds[idx_err = n++] = {err.fd[0], POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = ::write(in.fd[1], input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == input.size()) in.close_end(1);
    }
    auto drain = [](Pipe& p, short revents, std::string& sink) {
      if (!revents) return;
      char buf[4096];
      ssize_t r = ::read(p.fd[0], buf, sizeof buf);
      if (r > 0)
        sink.append(buf, static_cast<size_t>(r));
      else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        p.close_end(0);
    };
    if (idx_out >= 0) drain(out, fds[idx_out].revents, result.out);
    if (idx_err >= 0) drain(err, fds[idx_err].revents, result.err);
  }
  in.close_end(1);
  sigpipe.reset();

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_status = 128 + WTERMSIG(status);
  return result;
}

}  // namespace trustctl
