// HttpClient on libcurl: one easy handle per client so connections (and TLS sessions) are
// reused; redirects and retries handled here so that credentials never follow a redirect to
// another origin and a retry restarts a streamed body cleanly.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <optional>
#include <thread>

#include "trustctl/core/log.h"
#include "trustctl/http/http_client.h"

namespace trustctl::http {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// What one attempt produced, before retry and redirect decisions.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  Response response;
  bool too_large = false;
  bool aborted_by_sink = false;
  bool streamed_any = false;
  bool idle = false;                // no byte moved either way for the timeout
  std::optional<Error> body_error;  // the streamed request body failed (or did not fit)
};

struct TransferState {
  const Request* request = nullptr;
  Attempt* attempt = nullptr;
  bool status_seen = false;
  std::int64_t body_sent = 0;  // bytes of a streamed request body handed to libcurl
  // Idle detection: libcurl's low-speed check averages over about 5 s, so after a burst (an
  // upload filling the socket buffers) a dead peer would get 5 s more than the timeout.
  long idle_limit_ms = 0;  // 0: off
  curl_off_t moved = -1;   // bytes up + down at the last change
  std::chrono::steady_clock::time_point last_moved = std::chrono::steady_clock::now();
};

// The upload buffer for a streamed body: libcurl asks for at most this much per read.
constexpr long kUploadBufferBytes = 512 * 1024;

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after 100 Continue or an auth round): forget earlier fields.
    st->attempt->response.headers = Headers();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos)
      st->attempt->response.status =
          std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    st->status_seen = true;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  st->attempt->response.headers.add(std::string(line.substr(0, colon)), std::string(value));
  return n;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  size_t n = size * count;
  Attempt& a = *st->attempt;
  a.response.body_bytes += n;
  if (a.response.body_bytes > st->request->max_response_bytes) {
    a.too_large = true;
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  long status = a.response.status;
  bool stream = st->request->on_data && status >= 200 && status < 300;
  if (stream) {
    a.streamed_any = true;
    if (!st->request->on_data(std::string_view(data, n))) {
      a.aborted_by_sink = true;
      return 0;
    }
  } else {
    a.response.body.append(data, n);
  }
  return n;
}

// Pulls the next piece of a streamed request body; never more than body_size in all.
size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const Request& req = *st->request;
  const std::int64_t left = req.body_size - st->body_sent;
  const size_t want =
      std::min<size_t>(size * count, static_cast<size_t>(std::max<std::int64_t>(left, 0)));
  if (want == 0) return 0;
  auto got = req.body_reader(buffer, want);
  if (!got || *got == 0 || *got > want) {
    st->attempt->body_error =
        got ? Error(ErrorCode::kIo, req.method + " " + req.url + ": the request body ended after " +
                                        std::to_string(st->body_sent) + " of " +
                                        std::to_string(req.body_size) + " bytes")
            : got.error();
    return CURL_READFUNC_ABORT;
  }
  st->body_sent += static_cast<std::int64_t>(*got);
  return *got;
}

// Aborts a transfer in which no byte moved, either way, for idle_limit_ms.
int on_progress(void* user, curl_off_t, curl_off_t dl_now, curl_off_t, curl_off_t ul_now) {
  auto* st = static_cast<TransferState*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (dl_now + ul_now != st->moved) {
    st->moved = dl_now + ul_now;
    st->last_moved = now;
    return 0;
  }
  if (now - st->last_moved < std::chrono::milliseconds(st->idle_limit_ms)) return 0;
  st->attempt->idle = true;
  return 1;
}

// How long a transfer may stay under the stall floor: the base timeout, in whole seconds.
long stall_seconds(const ClientOptions& o) { return std::max(1L, (o.timeout_ms + 999) / 1000); }

// Where the system's CA certificates are looked up. A hashed folder (c_rehash,
// update-ca-certificates) lets OpenSSL read only the certificates a handshake needs, where the
// bundle file (libcurl's default, about 140 certificates) is parsed whole on every run: about
// 28 ms. SSL_CERT_FILE / SSL_CERT_DIR, OpenSSL's own variables, choose another place.
struct SystemCas {
  std::string file;
  std::string dir;
};

const SystemCas& system_cas() {
  static const SystemCas cas = [] {
    SystemCas c;
    if (const char* f = std::getenv("SSL_CERT_FILE"); f != nullptr && *f != '\0') c.file = f;
    if (const char* d = std::getenv("SSL_CERT_DIR"); d != nullptr && *d != '\0') c.dir = d;
    if (c.file.empty() && c.dir.empty()) {
      struct stat st {};
      if (::stat("/etc/ssl/certs", &st) == 0 && S_ISDIR(st.st_mode)) c.dir = "/etc/ssl/certs";
    }
    return c;
  }();
  return cas;
}

struct SslContextData {
  std::vector<std::string> ca_files;
};

CURLcode on_ssl_context(CURL*, void* ssl_ctx, void* user) {
  auto* data = static_cast<SslContextData*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (const auto& file : data->ca_files) {
    if (X509_STORE_load_file(store, file.c_str()) != 1) {
      log::warn("cannot load CA certificates from " + file);
      return CURLE_SSL_CACERT_BADFILE;
    }
  }
  return CURLE_OK;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(ClientOptions options)
      : options_(std::move(options)), handle_(curl_easy_init()) {}

  TransportFailure last_failure() const override { return last_failure_; }

  Result<Response> send(const Request& request) override {
    last_failure_ = TransportFailure::kNone;
    Request current = request;
    const std::string first_origin = url_origin(request.url);
    bool body_used = false;  // a streamed body was handed to an attempt: rewind before the next
    for (int redirects = 0;; ++redirects) {
      TRUSTCTL_TRY_ASSIGN(Attempt attempt, attempt_with_retries(current, body_used));
      Response& resp = attempt.response;
      resp.url = current.url;
      log::debug(current.method + " " + current.url + " -> " + std::to_string(resp.status));
      if (!current.follow_redirects || !is_redirect(resp.status)) return std::move(resp);
      auto location = resp.headers.get("Location");
      if (!location) return std::move(resp);
      if (redirects >= 5) {
        return Error(ErrorCode::kProtocol, current.url + ": too many redirects");
      }
      std::string next = resolve_url(current.url, *location);
      if (url_origin(next) != first_origin) current.headers.remove("Authorization");
      if (resp.status == 303 ||
          ((resp.status == 301 || resp.status == 302) && current.method == "POST")) {
        current.method = "GET";
        current.body.clear();
        current.body_reader = nullptr;
        current.body_rewind = nullptr;
        current.body_size = 0;
      }
      current.url = std::move(next);
    }
  }

 private:
  // Attempts `req` until one succeeds or may not be repeated (connection dropped, timeout, 429,
  // 5xx, for a retryable request). A streamed body starts over before every attempt but the
  // first; a request whose streamed body cannot be rewound is sent once.
  Result<Attempt> attempt_with_retries(const Request& req, bool& body_used) {
    const bool streamed = static_cast<bool>(req.body_reader);
    const bool retryable = req.retryable.value_or(req.method == "GET" || req.method == "HEAD") &&
                           (!streamed || req.body_rewind);
    const int attempts = retryable ? std::max(1, options_.max_attempts) : 1;
    Attempt attempt;
    long backoff = options_.backoff_ms;
    for (int i = 1; i <= attempts; ++i) {
      if (streamed && body_used) TRUSTCTL_TRY(rewind_body(req));
      body_used = streamed;
      if (options_.on_attempt) options_.on_attempt();
      attempt = perform(req);
      if (attempt.body_error) return *attempt.body_error;
      bool transport_retry = attempt.code != CURLE_OK && !attempt.too_large &&
                             !attempt.aborted_by_sink && is_transient(attempt.code);
      bool status_retry = attempt.code == CURLE_OK && is_retryable_status(attempt.response.status);
      if (i == attempts || !(transport_retry || status_retry)) break;
      log::debug("retrying " + req.method + " " + req.url + " (attempt " + std::to_string(i + 1) +
                 " of " + std::to_string(attempts) + ")");
      if (attempt.streamed_any && req.on_restart) req.on_restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_delay(attempt, backoff)));
      backoff *= 2;
    }
    if (attempt.too_large) {
      return Error(ErrorCode::kIntegrity, req.method + " " + req.url +
                                              ": response larger than the limit of " +
                                              std::to_string(req.max_response_bytes) + " bytes");
    }
    if (attempt.aborted_by_sink) {
      return Error(ErrorCode::kIntegrity,
                   req.method + " " + req.url + ": transfer aborted by the receiver");
    }
    if (attempt.code != CURLE_OK) return transport_error(req, attempt);
    return attempt;
  }

  static Status rewind_body(const Request& req) {
    if (!req.body_rewind) {
      return Error(ErrorCode::kInternal,
                   req.method + " " + req.url + ": the streamed request body cannot be sent again");
    }
    if (auto st = req.body_rewind(); !st) return st.error().wrap(req.method + " " + req.url);
    return {};
  }

  static bool is_transient(CURLcode code) {
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        return true;
      default:
        return false;
    }
  }

  static long retry_delay(const Attempt& a, long backoff) {
    if (auto after = a.response.headers.get("Retry-After")) {
      long secs = std::strtol(after->c_str(), nullptr, 10);
      if (secs > 0) return std::min(secs, 5L) * 1000;
    }
    return backoff;
  }

  Error transport_error(const Request& req, const Attempt& a) {
    std::string where = url_host_port(req.url);
    std::string detail = a.curl_error.empty() ? curl_easy_strerror(a.code) : a.curl_error;
    switch (a.code) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
        last_failure_ = TransportFailure::kConnect;
        return Error(ErrorCode::kNetwork, "cannot connect to " + where + ": " + detail);
      case CURLE_SSL_CONNECT_ERROR:
        last_failure_ = TransportFailure::kTlsHandshake;
        return Error(ErrorCode::kNetwork, "TLS handshake with " + where + " failed: " + detail);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        last_failure_ = TransportFailure::kTlsVerify;
        return Error(ErrorCode::kNetwork,
                     "TLS certificate of " + where + " not trusted: " + detail +
                         " (add its CA as ~/.docker/certs.d/" + where + "/ca.crt)");
      case CURLE_OPERATION_TIMEDOUT:
        last_failure_ = TransportFailure::kTimeout;
        return Error(ErrorCode::kNetwork, where + " was too slow: " + req.method + " " + req.url +
                                              " timed out (" + detail + "); raise --timeout (now " +
                                              std::to_string(stall_seconds(options_)) +
                                              " s) if the network is only slow");
      default:
        last_failure_ = TransportFailure::kOther;
        return Error(ErrorCode::kNetwork, req.method + " " + req.url + " failed: " + detail);
    }
  }

  Attempt perform(const Request& req) {
    Attempt attempt;
    CURL* c = handle_.get();
    if (c == nullptr) {
      attempt.code = CURLE_FAILED_INIT;
      return attempt;
    }
    curl_easy_reset(c);  // keeps the connection cache
    TransferState state;
    state.request = &req;
    state.attempt = &attempt;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    // HTTP/1.1, not the HTTP/2 libcurl negotiates by default over TLS: a connection carries one
    // request at a time anyway (parallel blob transfers open a connection each). Over HTTP/2,
    // registry:2 (Go) sends blobs in small frames and TLS records (a 302 MB pull took 75,000
    // recv calls against 37,900 over HTTP/1.1), which doubled the registry's CPU for a pull
    // and made it 1.4x slower (bench/run.sh, transfer part).
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     std::min(options_.connect_timeout_ms, options_.timeout_ms));
    if (auto deadline = request_deadline(options_, req); deadline.count() > 0)
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(deadline.count()));
    if (options_.stall_bytes_per_second > 0) {
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options_.stall_bytes_per_second);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_seconds(options_));
      state.idle_limit_ms = stall_seconds(options_) * 1000;
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);

    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (req.body_reader) {
      // Streamed: UPLOAD with a known length (Content-Length, no chunked encoding).
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_size));
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &state);
      curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (!req.body.empty() || req.method == "PUT" || req.method == "POST" ||
          req.method == "PATCH") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      }
    }

    SlistPtr headers;
    curl_slist* list = nullptr;
    for (const auto& [k, v] : req.headers.fields()) {
      list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    if (!req.headers.has("Content-Type") && req.method != "GET" && req.method != "HEAD")
      list = curl_slist_append(list, "Content-Type:");
    headers.reset(list);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    SslContextData ssl_data;
    if (req.url.rfind("https://", 0) == 0) {
      TlsFiles tls;
      if (options_.tls_for_host) tls = options_.tls_for_host(url_host_port(req.url));
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
      if (const auto& cas = system_cas(); !cas.file.empty() || !cas.dir.empty()) {
        curl_easy_setopt(c, CURLOPT_CAINFO, cas.file.empty() ? nullptr : cas.file.c_str());
        curl_easy_setopt(c, CURLOPT_CAPATH, cas.dir.empty() ? nullptr : cas.dir.c_str());
      }
      if (!tls.ca_files.empty()) {
        ssl_data.ca_files = tls.ca_files;
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_context);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &ssl_data);
      }
      if (!tls.client_cert.empty()) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, tls.client_cert.c_str());
        curl_easy_setopt(c, CURLOPT_SSLKEY, tls.client_key.c_str());
      }
    }

    attempt.code = curl_easy_perform(c);
    attempt.curl_error = error_buffer;
    if (attempt.idle) {
      attempt.code = CURLE_OPERATION_TIMEDOUT;
      attempt.curl_error =
          "nothing sent or received for " + std::to_string(stall_seconds(options_)) + " s";
    }
    return attempt;
  }

  ClientOptions options_;
  std::unique_ptr<CURL, CurlDeleter> handle_;
  TransportFailure last_failure_ = TransportFailure::kNone;
};

}  // namespace

std::chrono::milliseconds request_deadline(const ClientOptions& options, const Request& request) {
  using std::chrono::milliseconds;
  constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max() / 2;
  const std::uint64_t rate = options.min_bytes_per_second;
  if (rate == 0) return milliseconds(0);
  const std::uint64_t body =
      request.body_reader ? static_cast<std::uint64_t>(std::max<std::int64_t>(request.body_size, 0))
                          : request.body.size();
  std::uint64_t bytes = std::min<std::uint64_t>(request.max_response_bytes, kMax);
  bytes = bytes > kMax - std::min(body, kMax) ? kMax : bytes + body;
  // bytes * 1000 / rate without overflow.
  std::uint64_t transfer = bytes / rate * 1000 + bytes % rate * 1000 / rate;
  std::uint64_t base = options.timeout_ms > 0 ? static_cast<std::uint64_t>(options.timeout_ms) : 0;
  std::uint64_t total = transfer > kMax - base ? kMax : transfer + base;
  return milliseconds(static_cast<milliseconds::rep>(total));
}

std::unique_ptr<HttpClient> make_curl_client(ClientOptions options) {
  static const bool initialised = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialised;
  return std::make_unique<CurlHttpClient>(std::move(options));
}

}  // namespace trustctl::http
