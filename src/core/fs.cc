#include "trustctl/core/fs.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

namespace trustctl::fs {
namespace {

Error io_error(std::string_view what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("cannot open", path, errno);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return io_error("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  std::random_device rd;
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot create", tmp, errno);
  auto fail = [&](Error e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd, mode) != 0) return fail(io_error("cannot chmod", tmp, errno));
  if (auto st = write_all(fd, data, tmp); !st) return fail(st.error());
  if (::fsync(fd) != 0) return fail(io_error("cannot fsync", tmp, errno));
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot close", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename into", path, err);
  }
  int dfd = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return Error(ErrorCode::kIo, "not a folder: " + path);
  }
  std::string parent = parent_of(path);
  if (parent != path) TRUSTCTL_TRY(make_dirs(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return io_error("cannot create folder", path, errno);
  }
  ::chmod(path.c_str(), mode);  // umask must not widen or narrow what was asked
  return {};
}

Status check_dirs_below(const std::string& base, const std::string& path, bool create,
                        mode_t mode) {
  if (path.compare(0, base.size(), base) != 0 ||
      (path.size() > base.size() && path[base.size()] != '/'))
    return Error(ErrorCode::kInternal, path + " is not below " + base);
  if (create) TRUSTCTL_TRY(make_dirs(base, mode));
  std::string current = base;
  std::size_t pos = base.size();
  while (pos < path.size()) {
    std::size_t next = path.find('/', pos + 1);
    if (next == std::string::npos) next = path.size();
    const std::string part = path.substr(pos + 1, next - pos - 1);
    pos = next;
    if (part.empty()) continue;
    current += "/" + part;
    struct stat st {};
    if (::lstat(current.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode))
        return Error(ErrorCode::kIo, current +
                                         " is a symbolic link; trustctl does not follow "
                                         "links inside its trust dir (remove it)");
      if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kIo, "not a folder: " + current);
      continue;
    }
    if (errno != ENOENT) return io_error("cannot inspect", current, errno);
    if (!create) return {};
    if (::mkdir(current.c_str(), mode) != 0 && errno != EEXIST)
      return io_error("cannot create folder", current, errno);
    ::chmod(current.c_str(), mode);
  }
  return {};
}

Result<std::string> read_regular_file(const std::string& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link is refused.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return Error(ErrorCode::kNotFound, path + " does not exist");
    if (errno == ELOOP)
      return Error(ErrorCode::kIntegrity, path + " is a symbolic link, not a regular file");
    return io_error("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot inspect", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kIntegrity, path + " is not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Error(ErrorCode::kIntegrity, path + " is " + std::to_string(st.st_size) +
                                            " bytes, more than the " + std::to_string(max_bytes) +
                                            " allowed");
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return io_error("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {  // grew while being read
      ::close(fd);
      return Error(ErrorCode::kIntegrity,
                   path + " grew beyond the " + std::to_string(max_bytes) + " bytes allowed");
    }
  }
  ::close(fd);
  return out;
}

std::string home_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

}  // namespace trustctl::fs
