#include "trustctl/registry/blob_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "trustctl/crypto/hash.h"

namespace trustctl::registry {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(err));
}

class FileReader final : public ByteReader {
 public:
  FileReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileReader() override { ::close(fd_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  Result<std::size_t> read(char* buffer, std::size_t max) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, max);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return io_error("cannot read", path_, errno);
    }
  }

 private:
  int fd_;
  std::string path_;
};

class MemoryReader final : public ByteReader {
 public:
  explicit MemoryReader(std::string_view bytes) : bytes_(bytes) {}
  Result<std::size_t> read(char* buffer, std::size_t max) override {
    const std::size_t n = std::min(max, bytes_.size());
    std::memcpy(buffer, bytes_.data(), n);
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view bytes_;
};

Result<std::unique_ptr<ByteReader>> open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  return std::unique_ptr<ByteReader>(new FileReader(fd, path));
}

}  // namespace

BlobSource file_blob_source(std::string path, std::string digest, std::int64_t size) {
  BlobSource source;
  source.digest = std::move(digest);
  source.size = size;
  source.open = [path = std::move(path)] { return open_file(path); };
  return source;
}

Result<BlobSource> hash_file_blob_source(const std::string& path) {
  TRUSTCTL_TRY_ASSIGN(auto reader, open_file(path));
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  std::vector<char> buffer(1 << 20);
  std::int64_t size = 0;
  for (;;) {
    TRUSTCTL_TRY_ASSIGN(std::size_t n, reader->read(buffer.data(), buffer.size()));
    if (n == 0) break;
    hasher.update(std::string_view(buffer.data(), n));
    size += static_cast<std::int64_t>(n);
  }
  return file_blob_source(path, "sha256:" + hasher.finish_hex(), size);
}

BlobSource memory_blob_source(std::string_view bytes) {
  BlobSource source;
  source.digest = "sha256:" + crypto::sha256_hex(bytes);
  source.size = static_cast<std::int64_t>(bytes.size());
  source.open = [bytes]() -> Result<std::unique_ptr<ByteReader>> {
    return std::unique_ptr<ByteReader>(new MemoryReader(bytes));
  };
  return source;
}

std::string_view blob_upload_name(BlobUpload outcome) {
  switch (outcome) {
    case BlobUpload::kPresent:
      return "present";
    case BlobUpload::kMounted:
      return "mounted";
    case BlobUpload::kUploaded:
      return "uploaded";
  }
  return "uploaded";
}

}  // namespace trustctl::registry
