#include "trustctl/keystore/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "trustctl/core/environment.h"

namespace trustctl::keystore {
namespace {

using crypto::SecretBytes;

constexpr std::size_t kMaxPassphraseBytes = 1024;
constexpr int kPromptAttempts = 3;

// The terminal state to restore if a signal arrives while echo is off.
volatile sig_atomic_t g_restore_fd = -1;
termios g_saved_termios{};

extern "C" void restore_terminal_and_reraise(int sig) {
  if (g_restore_fd >= 0) tcsetattr(g_restore_fd, TCSAFLUSH, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    g_saved_termios = saved_;
    g_restore_fd = fd_;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction sa {};
      sa.sa_handler = restore_terminal_and_reraise;
      sigemptyset(&sa.sa_mask);
      sigaction(sig, &sa, &old_[index(sig)]);
    }
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_restore_fd < 0) return;
    tcsetattr(fd_, TCSAFLUSH, &saved_);
    g_restore_fd = -1;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &old_[index(sig)], nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  static int index(int sig) { return sig == SIGINT ? 0 : sig == SIGTERM ? 1 : 2; }
  int fd_;
  termios saved_{};
  struct sigaction old_[3]{};
  bool active_ = false;
};

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

Result<SecretBytes> read_line(int fd) {
  SecretBytes line;
  line.reserve(kMaxPassphraseBytes);
  for (;;) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Error(ErrorCode::kAuth,
                   std::string("cannot read the terminal: ") + std::strerror(errno));
    if (n == 0) {
      if (line.empty()) return Error(ErrorCode::kAuth, "no passphrase entered (end of input)");
      break;
    }
    if (c == '\n') break;
    if (line.size() >= kMaxPassphraseBytes) {
      return Error(ErrorCode::kAuth, "passphrase longer than 1024 bytes");
    }
    line.push_back(c);
  }
  if (!line.empty() && line.data()[line.size() - 1] == '\r') line.resize(line.size() - 1);
  return line;
}

Result<SecretBytes> read_secret(int fd, std::string_view prompt) {
  EchoOff echo_off(fd);  // before the prompt, so nothing typed after it can echo
  write_all(fd, prompt);
  auto line = read_line(fd);
  if (!echo_off.active()) write_all(fd, "\n");
  return line;
}

std::string short_id(std::string_view id) { return std::string(id.substr(0, 7)); }

std::string describe(const PassphraseRequest& r) {
  std::string what = r.role + " key";
  if (r.creating && !r.replacing) what = "new " + what;
  if (!r.key_id.empty()) what += " with ID " + short_id(r.key_id);
  return what;
}

}  // namespace

RoleClass classify_role(std::string_view role) {
  if (role == "root") return RoleClass::kRoot;
  if (role == "targets") return RoleClass::kTargets;
  if (role == "snapshot") return RoleClass::kSnapshot;
  if (role == "timestamp") return RoleClass::kTimestamp;
  return RoleClass::kDelegation;
}

std::vector<std::string_view> passphrase_variables(RoleClass role_class) {
  switch (role_class) {
    case RoleClass::kRoot:
      return {"TRUSTCTL_ROOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"};
    case RoleClass::kTargets:
      return {"TRUSTCTL_REPOSITORY_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"};
    case RoleClass::kSnapshot:
      return {"TRUSTCTL_SNAPSHOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_SNAPSHOT_PASSPHRASE",
              "TRUSTCTL_REPOSITORY_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"};
    case RoleClass::kTimestamp:
      return {"TRUSTCTL_TIMESTAMP_PASSPHRASE", "DOCKER_CONTENT_TRUST_TIMESTAMP_PASSPHRASE",
              "TRUSTCTL_REPOSITORY_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"};
    case RoleClass::kDelegation:
      return {"TRUSTCTL_DELEGATION_PASSPHRASE", "DOCKER_CONTENT_TRUST_DELEGATION_PASSPHRASE",
              "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"};
  }
  return {};
}

bool stdin_is_tty() { return ::isatty(STDIN_FILENO) == 1; }

Result<SecretBytes> EnvTtyPassphraseSource::get(const PassphraseRequest& request) {
  std::vector<std::string_view> vars;
  if (request.replacing) {
    vars = {kNewPassphraseVariable};
  } else {
    vars = passphrase_variables(classify_role(request.role));
  }
  if (request.attempt == 0) {
    for (auto var : vars) {
      if (auto value = env_value(var)) {
        SecretBytes secret(*value);
        crypto::secure_wipe(*value);
        if (request.creating && secret.size() < kMinPassphraseLength) {
          return Error(ErrorCode::kUsage, std::string(var) +
                                              " is too short for a new key: use at "
                                              "least " +
                                              std::to_string(kMinPassphraseLength) + " characters");
        }
        origin_ = std::string(var);
        return secret;
      }
    }
  } else if (origin_ != "terminal") {
    return Error(ErrorCode::kAuth, "no other passphrase to try");
  }
  if (!stdin_is_tty()) {
    std::string names;
    for (auto var : vars) names += (names.empty() ? "" : " or ") + std::string(var);
    return Error(ErrorCode::kAuth, "no passphrase for the " + describe(request) + ": set " + names +
                                       ", or run on a terminal to be prompted");
  }
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kAuth, "no passphrase for the " + describe(request) +
                                       ": cannot open /dev/tty (" + std::strerror(errno) + ")");
  }
  origin_ = "terminal";
  Result<SecretBytes> answer = Error(ErrorCode::kAuth, "no passphrase entered");
  if (request.creating) {
    const std::string what = request.replacing ? "new passphrase for " + describe(request)
                                               : "passphrase for " + describe(request);
    for (int i = 0; i < kPromptAttempts; ++i) {
      answer = prompt_passphrase(fd, "Enter " + what + ": ", "Repeat " + what + ": ");
      if (!answer) break;
      if (answer->size() >= kMinPassphraseLength) break;
      write_all(fd, "Passphrase is too short (minimum " + std::to_string(kMinPassphraseLength) +
                        " characters)\n");
      answer = Error(ErrorCode::kAuth, "passphrase too short");
    }
  } else {
    answer = prompt_passphrase(fd, "Enter passphrase for " + describe(request) + ": ");
  }
  ::close(fd);
  return answer;
}

Result<SecretBytes> FixedPassphraseSource::get(const PassphraseRequest& request) {
  if (request.attempt > 0) return Error(ErrorCode::kAuth, "no other passphrase to try");
  return passphrase_.clone();
}

Result<SecretBytes> prompt_passphrase(int fd, std::string_view prompt,
                                      std::string_view confirm_prompt) {
  for (int i = 0; i < kPromptAttempts; ++i) {
    TRUSTCTL_TRY_ASSIGN(auto first, read_secret(fd, prompt));
    if (confirm_prompt.empty()) return first;
    TRUSTCTL_TRY_ASSIGN(auto second, read_secret(fd, confirm_prompt));
    if (first.equals(second)) return first;
    write_all(fd, "Passphrases do not match. Please try again.\n");
  }
  return Error(ErrorCode::kAuth,
               "passphrases did not match after " + std::to_string(kPromptAttempts) + " attempts");
}

bool confirm_on_tty(std::string_view question) {
  if (!stdin_is_tty()) return false;
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  write_all(fd, std::string(question) + " [y/N] ");
  std::string answer;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && answer.size() < 16) answer.push_back(c);
  ::close(fd);
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

}  // namespace trustctl::keystore
