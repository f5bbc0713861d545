// The OCI distribution (registry v2) client for one registry host. The registry is a source of
// bytes only: every manifest and blob it serves is checked against the digest it was asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustctl/auth/authenticator.h"
#include "trustctl/core/result.h"
#include "trustctl/http/http_client.h"
#include "trustctl/registry/blob_source.h"
#include "trustctl/registry/manifest.h"

namespace trustctl::registry {

struct RegistryOptions {
  // Hosts ("host" or "host:port") allowed over plain HTTP and with unverified TLS.
  std::vector<std::string> insecure_registries;
  // Folders holding <host[:port]>/{ca.crt,*.crt,client.cert,client.key}; searched in order.
  std::vector<std::string> certs_dirs;  // default: ~/.docker/certs.d, /etc/docker/certs.d
  // Credentials per registry host; default: ~/.docker/config.json and its helpers.
  auth::CredentialSource credentials;
  http::ClientOptions http;
  std::uint64_t max_manifest_bytes = 4 * 1024 * 1024;
  // A folder for the contact memo (docs/registry-client.md): what the first successful contact
  // established (the scheme after the GET /v2/ check, whether the registry takes credentials
  // pre-emptively, bearer tokens while valid), read when the client is made and rewritten when
  // it changed, so that the next process skips the ping and the token round trip. "" = none.
  // No folder between `contact_base` and it may be a symbolic link.
  std::string contact_dir;
  std::string contact_base;
  // For tests: a transport to use instead of libcurl (not owned).
  http::HttpClient* transport = nullptr;
};

// One client per thread: an instance is not thread-safe, but instances share no mutable state
// (each has its own connection, token cache and credentials), so worker threads that each own
// one transfer in parallel. libcurl's global initialisation happens once, thread-safely.
class RegistryClient {
 public:
  // `registry_host` as in a reference ("localhost:5000", "registry-1.docker.io").
  static std::unique_ptr<RegistryClient> create(std::string registry_host,
                                                RegistryOptions options = {});
  ~RegistryClient();

  const std::string& host() const { return host_; }
  // "https://host" or "http://host" once the scheme is known (after the first request).
  std::string base_url() const;

  // GET /v2/: chooses the scheme, checks the API version header, learns the auth challenge.
  Status ping();

  // GET a manifest by tag or digest, sending all four manifest media types. By digest the
  // bytes must hash to it; by tag a Docker-Content-Digest header that disagrees is refused.
  Result<Manifest> get_manifest(const std::string& repository, const std::string& reference);
  // HEAD: the descriptor (media type, digest, size) without the body. Falls back to GET when
  // the registry sends no Docker-Content-Digest.
  Result<Descriptor> head_manifest(const std::string& repository, const std::string& reference);
  // PUT bytes under a tag or digest; returns the descriptor (digest computed locally).
  Result<Descriptor> put_manifest(const std::string& repository, const std::string& reference,
                                  const std::string& media_type, const std::string& bytes);
  // DELETE by digest. kUnsupported when the registry has deletes disabled.
  Status delete_manifest(const std::string& repository, const std::string& digest);

  // Streams a blob to `write`, verifying digest and (when >= 0) size as bytes arrive. On any
  // failure the bytes already written must be discarded by the caller; `restart` is called if a
  // retry starts the transfer over. `progress` gets the bytes received so far.
  Status get_blob(const std::string& repository, const std::string& digest,
                  std::int64_t expected_size, const std::function<bool(std::string_view)>& write,
                  const std::function<void()>& restart = {}, const TransferProgress& progress = {});
  // A whole (small) blob in memory, verified; refused beyond `max_bytes`.
  Result<std::string> fetch_blob(const std::string& repository, const std::string& digest,
                                 std::uint64_t max_bytes);
  Result<bool> blob_exists(const std::string& repository, const std::string& digest);
  // Uploads a blob unless the repository has it (HEAD first: kPresent, nothing sent). With
  // `mount_from` (another repository of this registry) it asks for a cross-repository mount
  // (kMounted); a registry that answers the mount with an upload session gets the bytes there.
  // Otherwise POST, then one PUT <Location>&digest= with the body streamed from `blob` (the
  // bytes are hashed as they go, and a PUT whose bytes do not match is never completed). The
  // registry's Docker-Content-Digest must equal blob.digest (kIntegrity). Transient failures
  // (dropped connection, timeout, 5xx, 429, a lost upload session, registry 2.8's transient
  // 400s) start this blob over with a fresh POST, up to 4 attempts; a blob the registry has by
  // then is not sent again. The Location's credentials: only the registry's own origin gets
  // them. Token scopes: repository:<repository>:pull,push, plus repository:<mount_from>:pull.
  Result<BlobUpload> upload_blob(const std::string& repository, const BlobSource& blob,
                                 const std::string& mount_from = "",
                                 const TransferProgress& progress = {});
  // upload_blob of bytes in memory; returns their descriptor.
  Result<Descriptor> push_blob(const std::string& repository, const std::string& bytes,
                               const std::string& media_type = "application/octet-stream");
  Status delete_blob(const std::string& repository, const std::string& digest);

  // Every tag, following Link pagination; sorted.
  Result<std::vector<std::string>> list_tags(const std::string& repository);

  // Requests made so far (for --debug summaries and benchmarks).
  std::uint64_t request_count() const { return requests_; }
  std::uint64_t bytes_received() const { return bytes_received_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }  // upload bodies, every attempt

 private:
  RegistryClient(std::string host, RegistryOptions options);

  Status ensure_scheme();
  void recall_contact();
  void remember_contact();
  // get_blob with the transport's byte cap (and so the request's deadline) given.
  Status stream_blob(const std::string& repository, const std::string& digest,
                     std::int64_t expected_size, std::uint64_t cap,
                     const std::function<bool(std::string_view)>& write,
                     const std::function<void()>& restart, const TransferProgress& progress);
  // The pieces of upload_blob (blob_transfer.cc).
  Result<bool> head_blob(const std::string& repository, const std::string& digest,
                         const std::vector<std::string>& scopes);
  Result<BlobUpload> upload_attempt(const std::string& repository, const BlobSource& blob,
                                    const std::string& mount_from,
                                    const std::vector<std::string>& scopes,
                                    const TransferProgress& progress, bool& transient);
  Status put_upload(const std::string& url, const BlobSource& blob,
                    const std::vector<std::string>& scopes, const TransferProgress& progress,
                    bool& transient);
  // DELETE /v2/<repository>/<kind>s/<digest> for kind "manifest" or "blob".
  Status delete_object(const std::string& repository, std::string_view kind,
                       const std::string& digest);
  // Sends with authentication (answering one 401 challenge) and returns any HTTP answer. A
  // request URL starting with '/' is a path on this registry.
  Result<http::Response> send(http::Request request, const std::vector<std::string>& scopes);

  std::string host_;
  RegistryOptions options_;
  std::unique_ptr<http::HttpClient> owned_transport_;
  http::HttpClient* transport_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::string scheme_;            // "" until known
  bool scheme_recalled_ = false;  // scheme_ came from the memo and no request has confirmed it
  std::string contact_path_;
  std::string contact_text_;  // the memo as read (rewritten only when it changed)
  bool insecure_ = false;
  std::uint64_t requests_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

// Turns a registry error answer into an Error: the status picks the class (401/403 auth, 404
// not found, 405 unsupported, 5xx network) and the message names the request and the
// registry's error codes and messages.
Error registry_error(const std::string& what, const http::Response& response);

}  // namespace trustctl::registry
