// Where the bytes of a blob to upload come from: its digest and size, and a reader that can be
// opened again from the first byte (every upload attempt starts over). Readers from a file or
// from bytes in memory; push/pull and the OCI layout module can add their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "trustctl/core/result.h"

namespace trustctl::registry {

// Reads a blob's bytes in order, from the first one.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Up to `max` bytes into `buffer`; 0 only at the end. An Error aborts the upload with it.
  virtual Result<std::size_t> read(char* buffer, std::size_t max) = 0;
};

struct BlobSource {
  std::string digest;     // "sha256:<hex>" (or sha512): what the bytes must hash to
  std::int64_t size = 0;  // their length
  // A fresh reader at the first byte; called once per upload attempt. The upload hashes what it
  // reads and refuses to finish a PUT whose bytes do not match `digest` and `size` (kIntegrity).
  std::function<Result<std::unique_ptr<ByteReader>>()> open;
};

// A file whose digest and size are known (an OCI layout's descriptor). Opened per attempt with
// O_CLOEXEC and read in the transport's pieces: memory use does not grow with the file.
BlobSource file_blob_source(std::string path, std::string digest, std::int64_t size);
// A file read once first to learn its sha256 digest and size (kIo when it cannot be read).
Result<BlobSource> hash_file_blob_source(const std::string& path);
// Bytes in memory, not copied: `bytes` must outlive every upload of the source.
BlobSource memory_blob_source(std::string_view bytes);

// What upload_blob did.
enum class BlobUpload {
  kPresent,   // the repository had it already: nothing was sent
  kMounted,   // mounted from another repository of the registry: nothing was sent
  kUploaded,  // its bytes were sent
};
std::string_view blob_upload_name(BlobUpload outcome);  // "present", "mounted", "uploaded"

// Progress of one blob transfer: bytes sent or received so far by the current attempt (back to
// 0 when an attempt starts over). Called on the transferring thread.
using TransferProgress = std::function<void(std::int64_t bytes_done)>;

}  // namespace trustctl::registry
