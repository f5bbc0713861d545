// Blob transfers of the registry client: streamed uploads (HEAD, mount or POST, one PUT),
// retried per blob. Downloads are get_blob's (the caller writes where it wants, e.g. an OCI
// layout's blob writer).

#include <chrono>
#include <random>
#include <thread>

#include "client_internal.h"
#include "trustctl/core/log.h"
#include "trustctl/registry/client.h"
#include "trustctl/registry/digest.h"

namespace trustctl::registry {
namespace {

constexpr int kBlobUploadAttempts = 4;

bool is_transient_status(long status) { return status == 429 || status >= 500; }

// 404 on an upload URL: the session is gone (purged, or left unusable by a PUT that was cut off).
bool session_lost(const http::Response& resp) {
  if (resp.status != 404) return false;
  for (const auto& code : detail::error_codes(resp.body))
    if (code == "BLOB_UPLOAD_UNKNOWN" || code == "BLOB_UPLOAD_INVALID") return true;
  return false;
}

std::string with_query(std::string url, std::string_view param) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += param;
  return url;
}

// A Docker-Content-Digest the registry sent must name the blob it was given.
Status check_registry_digest(const http::Response& resp, const BlobSource& blob,
                             const std::string& what) {
  auto header = resp.headers.get("Docker-Content-Digest");
  if (header && *header != blob.digest)
    return Error(ErrorCode::kIntegrity,
                 what + ": the registry answered Docker-Content-Digest " + *header + " for it");
  return {};
}

// The body of an upload PUT: read from the source, hashed as it goes. The piece that completes
// the blob is handed over only if the bytes match digest and size, so a source that changed
// never becomes a completed upload.
class VerifyingBody {
 public:
  VerifyingBody(const BlobSource& blob, Digest want, std::string what,
                const TransferProgress& progress, std::uint64_t& sent_counter)
      : blob_(blob),
        verifier_(std::move(want), blob.size),
        what_(std::move(what)),
        progress_(progress),
        sent_counter_(sent_counter) {}

  Status rewind() {
    TRUSTCTL_TRY_ASSIGN(reader_, blob_.open());
    verifier_.reset();
    done_ = 0;
    if (progress_) progress_(0);
    return {};
  }

  Result<std::size_t> read(char* buffer, std::size_t max) {
    if (!reader_) TRUSTCTL_TRY(rewind());
    auto n = reader_->read(buffer, max);
    if (!n) return n.error().wrap(what_);
    if (*n == 0) {  // shorter than its size: finish() names both lengths
      TRUSTCTL_TRY(verifier_.finish(what_));
      return Error(ErrorCode::kIntegrity, what_ + ": the source ended early");
    }
    if (!verifier_.update(std::string_view(buffer, *n)))
      return Error(ErrorCode::kIntegrity, what_ + ": the source is longer than its size");
    done_ += static_cast<std::int64_t>(*n);
    sent_counter_ += *n;
    if (done_ == blob_.size) TRUSTCTL_TRY(verifier_.finish(what_));
    if (progress_) progress_(done_);
    return *n;
  }

 private:
  const BlobSource& blob_;
  DigestVerifier verifier_;
  std::string what_;
  const TransferProgress& progress_;
  std::uint64_t& sent_counter_;
  std::unique_ptr<ByteReader> reader_;
  std::int64_t done_ = 0;
};


}  // namespace

Result<bool> RegistryClient::head_blob(const std::string& repository, const std::string& digest,
                                       const std::vector<std::string>& scopes) {
  TRUSTCTL_TRY(Digest::parse(digest));
  http::Request req;
  req.method = "HEAD";
  req.url = "/v2/" + repository + "/blobs/" + digest;
  TRUSTCTL_TRY_ASSIGN(auto resp, send(std::move(req), scopes));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return registry_error("HEAD blob " + host_ + "/" + repository + "@" + digest, resp);
}

Result<bool> RegistryClient::blob_exists(const std::string& repository, const std::string& digest) {
  return head_blob(repository, digest, {auth::repository_scope(repository, "pull")});
}

Status RegistryClient::put_upload(const std::string& url, const BlobSource& blob,
                                  const std::vector<std::string>& scopes,
                                  const TransferProgress& progress, bool& transient) {
  const std::string what = "PUT blob " + blob.digest + " to " + http::url_host_port(url);
  TRUSTCTL_TRY_ASSIGN(auto want, Digest::parse(blob.digest));
  if (blob.size == 0) TRUSTCTL_TRY(DigestVerifier(want, 0).finish(what));
  auto body = std::make_shared<VerifyingBody>(blob, want, what, progress, bytes_sent_);
  http::Request put;
  put.method = "PUT";
  put.url = with_query(url, "digest=" + http::url_encode(blob.digest));
  put.headers.set("Content-Type", "application/octet-stream");
  put.body_size = blob.size;
  put.body_reader = [body](char* buffer, std::size_t max) { return body->read(buffer, max); };
  put.body_rewind = [body] { return body->rewind(); };
  // A PUT cut off leaves its session unusable (2.8 checks the offset in _state): upload_blob
  // starts the blob over with a fresh POST instead of the transport repeating this one.
  put.retryable = false;
  auto sent = send(std::move(put), scopes);
  if (!sent) {
    transient = sent.error().code() == ErrorCode::kNetwork;
    return sent.error();
  }
  if (sent->status == 201 || sent->status == 204 || sent->status == 200)
    return check_registry_digest(*sent, blob, what);
  transient = is_transient_status(sent->status) || session_lost(*sent) ||
              detail::is_transient_put_refusal(*sent);
  return registry_error(what, *sent);
}

Result<BlobUpload> RegistryClient::upload_attempt(
    const std::string& repository, const BlobSource& blob, const std::string& mount_from,
    const std::vector<std::string>& scopes, const TransferProgress& progress, bool& transient) {
  http::Request start;
  start.method = "POST";
  start.url = "/v2/" + repository + "/blobs/uploads/";
  if (!mount_from.empty())
    start.url +=
        "?mount=" + http::url_encode(blob.digest) + "&from=" + http::url_encode(mount_from);
  const std::string what = "POST " + start.url;
  auto started = send(std::move(start), scopes);
  if (!started) {
    transient = started.error().code() == ErrorCode::kNetwork;
    return started.error();
  }
  if (started->status == 201) {  // mounted, or a registry that completes the session at once
    TRUSTCTL_TRY(check_registry_digest(*started, blob, what));
    return mount_from.empty() ? BlobUpload::kPresent : BlobUpload::kMounted;
  }
  if (started->status != 202) {
    transient = is_transient_status(started->status);
    return registry_error(what, *started);
  }
  auto location = started->headers.get("Location");
  if (!location) return Error(ErrorCode::kProtocol, what + ": upload session has no Location");
  const std::string url = http::resolve_url(started->url, *location);
  TRUSTCTL_TRY(put_upload(url, blob, scopes, progress, transient));
  return BlobUpload::kUploaded;
}

Result<BlobUpload> RegistryClient::upload_blob(const std::string& repository,
                                               const BlobSource& blob,
                                               const std::string& mount_from,
                                               const TransferProgress& progress) {
  const std::string what = "upload blob " + blob.digest + " to " + host_ + "/" + repository;
  if (auto d = Digest::parse(blob.digest); !d) return d.error().wrap(what);
  if (blob.size < 0 || blob.size > kMaxDescriptorSize || !blob.open)
    return Error(ErrorCode::kInternal, what + ": no source, or an impossible size");
  std::string from = mount_from == repository ? std::string() : mount_from;
  std::vector<std::string> scopes = {auth::repository_scope(repository, "pull,push")};
  if (!from.empty()) scopes.push_back(auth::repository_scope(from, "pull"));
  auto present = head_blob(repository, blob.digest, scopes);
  if (!present) return present.error().wrap(what);
  if (*present) return BlobUpload::kPresent;

  std::mt19937 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    bool transient = false;
    auto done = upload_attempt(repository, blob, from, scopes, progress, transient);
    if (!done && !from.empty() && done.error().code() == ErrorCode::kAuth) {
      // Credentials that may push here but not read `from`: an upload still can.
      log::debug(what + ": no mount from " + from + " (" + done.error().message() + ")");
      from.clear();
      scopes.resize(1);
      --attempt;
      continue;
    }
    if (done) return done;
    if (!transient) return done.error().wrap(what);
    if (attempt == kBlobUploadAttempts)
      return done.error().wrap(what + " (after " + std::to_string(attempt) + " attempts)");
    const long base = options_.http.backoff_ms << (attempt - 1);  // 200, 400, 800 ms by default
    const long delay = std::uniform_int_distribution<long>(base / 2, base + base / 2)(rng);
    log::debug(what + ": " + done.error().message() + "; attempt " + std::to_string(attempt + 1) +
               " of " + std::to_string(kBlobUploadAttempts) + " in " + std::to_string(delay) +
               " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    // An attempt whose answer was lost may have completed: never send a blob twice.
    if (auto now = head_blob(repository, blob.digest, scopes); now && *now)
      return BlobUpload::kUploaded;
  }
}

Result<Descriptor> RegistryClient::push_blob(const std::string& repository,
                                             const std::string& bytes,
                                             const std::string& media_type) {
  const BlobSource source = memory_blob_source(bytes);
  TRUSTCTL_TRY(upload_blob(repository, source));
  Descriptor d;
  d.media_type = media_type;
  d.digest = source.digest;
  d.size = source.size;
  return d;
}

}  // namespace trustctl::registry
