// HttpClient on libcurl: one easy handle per client so connections (and TLS sessions) are
// reused; redirects and retries handled here so that credentials never follow a redirect to
// another origin and a retry restarts a streamed body cleanly.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <limits>
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
};

struct TransferState {
  const Request* request = nullptr;
  Attempt* attempt = nullptr;
  bool status_seen = false;
};

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

// How long a transfer may stay under the stall floor: the base timeout, in whole seconds.
long stall_seconds(const ClientOptions& o) { return std::max(1L, (o.timeout_ms + 999) / 1000); }

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
    const bool retryable =
        request.retryable.value_or(request.method == "GET" || request.method == "HEAD");
    const int attempts = retryable ? std::max(1, options_.max_attempts) : 1;

    Request current = request;
    const std::string first_origin = url_origin(request.url);
    for (int redirects = 0;; ++redirects) {
      Attempt attempt;
      long backoff = options_.backoff_ms;
      for (int i = 1; i <= attempts; ++i) {
        attempt = perform(current);
        bool transport_retry = attempt.code != CURLE_OK && !attempt.too_large &&
                               !attempt.aborted_by_sink && is_transient(attempt.code);
        bool status_retry =
            attempt.code == CURLE_OK && is_retryable_status(attempt.response.status);
        if (i == attempts || !(transport_retry || status_retry)) break;
        log::debug("retrying " + current.method + " " + current.url + " (attempt " +
                   std::to_string(i + 1) + " of " + std::to_string(attempts) + ")");
        if (attempt.streamed_any && current.on_restart) current.on_restart();
        std::this_thread::sleep_for(std::chrono::milliseconds(retry_delay(attempt, backoff)));
        backoff *= 2;
      }
      if (attempt.too_large) {
        return Error(ErrorCode::kIntegrity,
                     current.method + " " + current.url + ": response larger than the limit of " +
                         std::to_string(current.max_response_bytes) + " bytes");
      }
      if (attempt.aborted_by_sink) {
        return Error(ErrorCode::kIntegrity,
                     current.method + " " + current.url + ": transfer aborted by the receiver");
      }
      if (attempt.code != CURLE_OK) return transport_error(current, attempt);

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
      }
      current.url = std::move(next);
    }
  }

 private:
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
    TransferState state{&req, &attempt, false};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     std::min(options_.connect_timeout_ms, options_.timeout_ms));
    if (auto deadline = request_deadline(options_, req); deadline.count() > 0)
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(deadline.count()));
    if (options_.stall_bytes_per_second > 0) {
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options_.stall_bytes_per_second);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_seconds(options_));
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);

    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
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
  std::uint64_t bytes = request.max_response_bytes;
  bytes = bytes > kMax - request.body.size() ? kMax : bytes + request.body.size();
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
