// OciLayout::BlobWriter: a blob reaches its digest's name only after its bytes matched.
#include <unistd.h>

#include "file_util.h"
#include "trustctl/core/fs.h"
#include "trustctl/image/layout.h"

namespace trustctl::image {

OciLayout::BlobWriter::BlobWriter(registry::Descriptor d, registry::Digest digest,
                                  std::string tmp_path, std::string final_path, int fd)
    : descriptor_(std::move(d)),
      verifier_(std::move(digest), descriptor_.size),
      tmp_path_(std::move(tmp_path)),
      final_path_(std::move(final_path)),
      fd_(fd) {}

OciLayout::BlobWriter::~BlobWriter() { abort(); }

OciLayout::BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : descriptor_(std::move(other.descriptor_)),
      verifier_(std::move(other.verifier_)),
      tmp_path_(std::move(other.tmp_path_)),
      final_path_(std::move(other.final_path_)),
      fd_(other.fd_) {
  other.fd_ = -1;
  other.tmp_path_.clear();
}

OciLayout::BlobWriter& OciLayout::BlobWriter::operator=(BlobWriter&& other) noexcept {
  if (this != &other) {
    abort();
    descriptor_ = std::move(other.descriptor_);
    verifier_ = std::move(other.verifier_);
    tmp_path_ = std::move(other.tmp_path_);
    final_path_ = std::move(other.final_path_);
    fd_ = other.fd_;
    other.fd_ = -1;
    other.tmp_path_.clear();
  }
  return *this;
}

void OciLayout::BlobWriter::abort() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  tmp_path_.clear();
}

Status OciLayout::BlobWriter::write(std::string_view chunk) {
  if (fd_ < 0)
    return Error(ErrorCode::kInternal, "blob " + descriptor_.digest + ": writer already closed");
  if (!verifier_.update(chunk)) {
    abort();
    return Error(ErrorCode::kIntegrity, "blob " + descriptor_.digest + ": more than the " +
                                            std::to_string(descriptor_.size) +
                                            " bytes its descriptor gives");
  }
  auto written = detail::write_all(fd_, chunk, tmp_path_);
  if (!written) abort();
  return written;
}

Status OciLayout::BlobWriter::commit() {
  if (fd_ < 0)
    return Error(ErrorCode::kInternal, "blob " + descriptor_.digest + ": writer already closed");
  auto verified = verifier_.finish("blob " + descriptor_.digest);
  if (!verified) {
    abort();
    return verified;
  }
  const int fd = fd_;
  fd_ = -1;
  auto done = detail::finish_temp_file(fd, tmp_path_, final_path_);
  tmp_path_.clear();  // renamed, or removed by finish_temp_file
  return done;
}

Result<OciLayout::BlobWriter> OciLayout::write_blob(const registry::Descriptor& d) {
  TRUSTCTL_TRY_ASSIGN(auto digest, registry::Digest::parse(d.digest, false));
  if (d.size < 0 || d.size > registry::kMaxDescriptorSize)
    return Error(ErrorCode::kIntegrity,
                 "blob " + d.digest + " has an impossible size " + std::to_string(d.size));
  TRUSTCTL_TRY_ASSIGN(const std::string path, blob_path(d));
  const std::string alg_dir = path.substr(0, path.find_last_of('/'));
  TRUSTCTL_TRY(fs::check_dirs_below(dir_, alg_dir, true, 0755));
  // The temporary file sits in the layout's root, outside blobs/: tools that walk
  // blobs/<alg>/ never see it, and the rename stays on one file system.
  TRUSTCTL_TRY_ASSIGN(auto tmp, detail::make_temp_file(dir_, ".trustctl-blob-"));
  return BlobWriter(d, std::move(digest), tmp.second, path, tmp.first);
}

}  // namespace trustctl::image
