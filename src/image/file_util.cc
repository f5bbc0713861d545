#include "file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace trustctl::image::detail {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(err));
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<File> File::open_regular(const std::string& path, const std::string& what,
                                bool follow_links) {
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (follow_links ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    if (errno == ENOENT)
      return Error(ErrorCode::kNotFound, what + " (" + path + ") does not exist");
    if (errno == ELOOP)
      return Error(ErrorCode::kIntegrity,
                   what + " (" + path + ") is a symbolic link, not a regular file; refused");
    return io_error("cannot open " + what, path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot inspect " + what, path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(
        ErrorCode::kIntegrity,
        what + " (" + path + ") is not a regular file (a FIFO, device or folder); refused");
  }
  return File(fd, static_cast<std::uint64_t>(st.st_size), what + " (" + path + ")");
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File::File(File&& other) noexcept
    : fd_(other.fd_), size_(other.size_), what_(std::move(other.what_)) {
  other.fd_ = -1;
}

Status File::stream(std::uint64_t offset, std::uint64_t length,
                    const std::function<bool(std::string_view)>& sink) const {
  std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(length, kChunkBytes)));
  while (length > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buf.size()));
    ssize_t n = ::pread(fd_, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", what_, errno);
    }
    if (n == 0)
      return Error(ErrorCode::kIntegrity, what_ + " ends early (truncated while being read)");
    if (!sink(std::string_view(buf.data(), static_cast<std::size_t>(n))))
      return Error(ErrorCode::kIo, "reading " + what_ + " was stopped by its consumer");
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<std::string> File::read_at(std::uint64_t offset, std::uint64_t length) const {
  std::string out;
  TRUSTCTL_TRY(stream(offset, length, [&](std::string_view chunk) {
    out.append(chunk);
    return true;
  }));
  return out;
}

Result<std::pair<int, std::string>> make_temp_file(const std::string& dir,
                                                   const std::string& prefix) {
  std::string tmpl = dir + "/" + prefix + "XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return io_error("cannot create a temporary file in", dir, errno);
  return std::make_pair(fd, tmpl);
}

Status write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", what, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status finish_temp_file(int fd, const std::string& tmp, const std::string& path) {
  auto fail = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return io_error(what, tmp, err);
  };
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return fail("cannot sync", err);
  }
  if (::close(fd) != 0) return fail("cannot close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail("cannot rename to " + path + ":", errno);
  int dfd = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace trustctl::image::detail
