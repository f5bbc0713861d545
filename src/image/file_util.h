// Private to the image module: a read-only file descriptor that is refused unless it is a
// regular file, with bounded chunked reads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::image::detail {

inline constexpr std::size_t kChunkBytes = 1u << 20;

class File {
 public:
  // O_NOFOLLOW | O_NONBLOCK: a link is refused and a FIFO neither blocks nor is read; anything
  // but a regular file is kIntegrity naming `what`. kNotFound when missing.
  static Result<File> open_regular(const std::string& path, const std::string& what,
                                   bool follow_links = false);
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&&) = delete;
  File(const File&) = delete;

  std::uint64_t size() const { return size_; }
  // Reads exactly `length` bytes from `offset` in chunks; kIntegrity when the file ends first
  // (it shrank), kIo when `sink` returns false.
  Status stream(std::uint64_t offset, std::uint64_t length,
                const std::function<bool(std::string_view)>& sink) const;
  Result<std::string> read_at(std::uint64_t offset, std::uint64_t length) const;

 private:
  File(int fd, std::uint64_t size, std::string what)
      : fd_(fd), size_(size), what_(std::move(what)) {}
  int fd_;
  std::uint64_t size_;
  std::string what_;
};

// mkstemp in `dir` with `prefix`; the open descriptor and the name.
Result<std::pair<int, std::string>> make_temp_file(const std::string& dir,
                                                   const std::string& prefix);
Status write_all(int fd, std::string_view data, const std::string& what);
// fsync, close, chmod 0644 and rename `tmp` over `path`, then fsync the folder. `fd` is closed
// and `tmp` removed on failure too.
Status finish_temp_file(int fd, const std::string& tmp, const std::string& path);

}  // namespace trustctl::image::detail
