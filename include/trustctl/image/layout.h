// Local image formats for push (source) and pull (destination): the OCI image layout folder,
// and the SRC/DEST strings that name a local image. docker-archive tarballs: archive.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/digest.h"
#include "trustctl/registry/manifest.h"

namespace trustctl::image {

// The annotation an index.json entry is tagged with.
inline constexpr char kRefNameAnnotation[] = "org.opencontainers.image.ref.name";

// Caps on what is believed from a layout folder someone else may have prepared.
inline constexpr std::uint64_t kMaxIndexJsonBytes = 16u << 20;  // index.json
inline constexpr std::uint64_t kMaxSmallBlobBytes = 16u << 20;  // default for manifests, configs

// An OCI image layout folder (image-spec layout: oci-layout, index.json, blobs/<alg>/<hex>).
// Blobs are never trusted by name: every read checks size and digest.
class OciLayout {
 public:
  // An existing layout: kNotFound when the folder or its oci-layout file is missing;
  // kIntegrity when oci-layout or index.json is malformed, too deep, too big, or not a regular
  // file, or when blobs/ is a link.
  static Result<OciLayout> open(const std::string& dir);
  // Opens the layout, or initialises an empty one (folders 0755, files 0644, like skopeo) in a
  // missing or empty folder; kUsage for a folder holding something else.
  static Result<OciLayout> create(const std::string& dir);

  const std::string& dir() const { return dir_; }
  // index.json's entries as last read or written (annotations kept).
  std::vector<registry::Descriptor> manifests() const { return manifests_; }
  // The entry whose ref name is `ref`; with `ref` empty, the only entry (kUsage naming the
  // choices when there are several). kNotFound otherwise.
  Result<registry::Descriptor> find(const std::string& ref) const;

  // blobs/<alg>/<hex> for a valid digest (kIntegrity for a malformed one).
  Result<std::string> blob_path(const registry::Descriptor& d) const;
  // Whether the blob is a regular file of the descriptor's size (bytes are verified when read).
  bool has_blob(const registry::Descriptor& d) const;
  // Streams the blob to `write` in chunks (up to 1 MiB), verifying size and digest as it goes:
  // kIntegrity naming the digest on a mismatch, found only at the end for a same-size change,
  // so the caller discards what it got. Links, FIFOs and devices are refused without being
  // read. kNotFound when absent; kIo when `write` returns false (the consumer stopped).
  Status read_blob(const registry::Descriptor& d,
                   const std::function<bool(std::string_view)>& write) const;
  // The whole blob, refused (kIntegrity) without reading when d.size exceeds `max_bytes`.
  Result<std::string> read_small_blob(const registry::Descriptor& d,
                                      std::uint64_t max_bytes = kMaxSmallBlobBytes) const;

  // A blob being written: chunks go to a temporary file in the layout's root folder; commit()
  // checks size and digest, fsyncs and renames it into blobs/. On a mismatch, abort(), a failed
  // write or destruction without commit the temporary file is removed: no partial blob ever
  // sits under its digest's name. Writing a blob that already exists is fine (same bytes).
  class BlobWriter {
   public:
    ~BlobWriter();
    BlobWriter(BlobWriter&& other) noexcept;
    BlobWriter& operator=(BlobWriter&& other) noexcept;
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;

    // kIntegrity (and the writer aborts) once more bytes arrive than the descriptor's size.
    Status write(std::string_view chunk);
    Status commit();
    void abort();

   private:
    friend class OciLayout;
    BlobWriter(registry::Descriptor d, registry::Digest digest, std::string tmp_path,
               std::string final_path, int fd);
    registry::Descriptor descriptor_;
    registry::DigestVerifier verifier_;
    std::string tmp_path_;
    std::string final_path_;
    int fd_ = -1;
  };
  // kIntegrity for a malformed digest or a negative/absurd size.
  Result<BlobWriter> write_blob(const registry::Descriptor& d);
  Status put_blob(const registry::Descriptor& d, std::string_view bytes);

  // Adds or replaces the index.json entry tagged `ref`, keeping every other entry as it was;
  // index.json is replaced atomically (a failure leaves the old one). The manifest blob must be
  // in the layout (kNotFound otherwise): an index entry never points at nothing.
  Status tag(const std::string& ref, const registry::Descriptor& manifest);

 private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  Status load_index();
  std::string dir_;
  std::vector<registry::Descriptor> manifests_;
};

// A local SRC/DEST: "oci:DIR[:REF]" or "docker-archive:FILE[:REPO:TAG]", split at the first
// ':' after the transport like skopeo. `ref` is the layout's ref name or the archive's
// "REPO:TAG" (empty when not given).
struct LocalImageRef {
  enum class Kind { kOciLayout, kDockerArchive };
  Kind kind = Kind::kOciLayout;
  std::string path;
  std::string ref;
};

// kUsage, naming the accepted forms, for anything else (another transport, an empty path, a
// docker-archive reference without a tag).
Result<LocalImageRef> parse_local_image(std::string_view text);

}  // namespace trustctl::image
