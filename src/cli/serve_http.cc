#include "serve_http.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

// What a file looks like now (through symlinks, as a Secret volume's are): a change of any of
// these is a new file.
std::string file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

struct TlsIdentity::Pair {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509) * chain = nullptr;
  ~Pair() {
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
  }
};

namespace {

Result<std::shared_ptr<TlsIdentity::Pair>> read_pair(const std::string& cert_file,
                                                     const std::string& key_file);

}  // namespace

TlsIdentity::TlsIdentity(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

TlsIdentity::~TlsIdentity() = default;

Result<std::shared_ptr<TlsIdentity>> TlsIdentity::load(std::string cert_file,
                                                       std::string key_file) {
  std::shared_ptr<TlsIdentity> identity(new TlsIdentity(std::move(cert_file), std::move(key_file)));
  identity->stamp_ = file_stamp(identity->cert_file_) + "/" + file_stamp(identity->key_file_);
  TRUSTCTL_TRY_ASSIGN(identity->pair_, read_pair(identity->cert_file_, identity->key_file_));
  return identity;
}

Status TlsIdentity::reload_if_changed() {
  const std::string stamp = file_stamp(cert_file_) + "/" + file_stamp(key_file_);
  {
    std::lock_guard lock(mutex_);
    if (stamp == stamp_) return {};
  }
  auto pair = read_pair(cert_file_, key_file_);
  std::lock_guard lock(mutex_);
  stamp_ = stamp;  // a bad pair is reported once, not every second
  if (!pair) return pair.error();
  pair_ = std::move(pair).value();
  log::info("TLS certificate reloaded from " + cert_file_);
  return {};
}

bool TlsIdentity::install(void* ssl) const {
  std::shared_ptr<Pair> pair;
  {
    std::lock_guard lock(mutex_);
    pair = pair_;
  }
  return SSL_use_cert_and_key(static_cast<SSL*>(ssl), pair->cert, pair->key, pair->chain, 1) == 1;
}

namespace {

Result<std::shared_ptr<TlsIdentity::Pair>> read_pair(const std::string& cert_file,
                                                     const std::string& key_file) {
  TRUSTCTL_TRY_ASSIGN(std::string cert_pem, fs::read_file(cert_file));
  TRUSTCTL_TRY_ASSIGN(std::string key_pem, fs::read_file(key_file));
  auto pair = std::make_shared<TlsIdentity::Pair>();
  {
    BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    pair->cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    pair->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
      sk_X509_push(pair->chain, extra);
    ERR_clear_error();  // the end of the file reads as an error
    BIO_free(bio);
  }
  if (pair->cert == nullptr)
    return Error(ErrorCode::kUsage, "--tls-cert " + cert_file + ": no PEM certificate in it");
  {
    BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    pair->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  if (pair->key == nullptr)
    return Error(ErrorCode::kUsage, "--tls-key " + key_file +
                                        ": no unencrypted PEM private key in it (" +
                                        openssl_error() + ")");
  if (X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kUsage,
                 "--tls-key " + key_file + " is not the key of the certificate in " + cert_file);
  }
  return pair;
}

int install_certificate(SSL* ssl, void* arg) {
  return static_cast<const TlsIdentity*>(arg)->install(ssl) ? 1 : 0;
}

void review_route(httplib::Server& server, const char* path, webhook::Endpoint endpoint,
                  ReviewService& reviews) {
  server.Post(path, [endpoint, &reviews](const httplib::Request& req, httplib::Response& res) {
    const std::string timeout = req.has_param("timeout") ? req.get_param_value("timeout") : "";
    HttpAnswer answer = reviews.review(endpoint, req.body, timeout);
    res.status = answer.status;
    res.set_content(answer.body, answer.content_type.c_str());
  });
}

}  // namespace

Status serve_https(const std::string& host, int port, std::shared_ptr<TlsIdentity> identity,
                   ServeHooks hooks, std::atomic<bool>& stop,
                   const std::function<void(int port)>& on_listening) {
  httplib::SSLServer server([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_cert_cb(&ctx, install_certificate, identity.get());
    return true;
  });
  if (!server.is_valid()) return Error(ErrorCode::kInternal, "the TLS server could not be set up");
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_tcp_nodelay(true);  // small answers must not wait for delayed ACKs
  server.set_keep_alive_max_count(100000);
  server.set_keep_alive_timeout(30);
  server.set_read_timeout(10);
  server.set_write_timeout(10);
  // Bodies over the review limit are read only to be refused by parse_review with a reason;
  // far larger ones are cut off by the server (answered 400 as well).
  server.set_payload_max_length(4 * webhook::kMaxReviewBytes);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      res.status = 400;
      res.set_content("bad AdmissionReview: the body is over the limit of " +
                          std::to_string(webhook::kMaxReviewBytes) + " bytes\n",
                      "text/plain; charset=utf-8");
    }
  });
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::error(req.method + " " + req.path + ": internal error: " + what);
        res.status = 500;
        res.set_content("internal error\n", "text/plain; charset=utf-8");
      });

  review_route(server, "/validate", webhook::Endpoint::kValidate, hooks.reviews);
  review_route(server, "/mutate", webhook::Endpoint::kMutate, hooks.reviews);
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server.Get("/readyz", [&hooks](const httplib::Request&, httplib::Response& res) {
    if (auto why = hooks.not_ready()) {
      res.status = 503;
      res.set_content("not ready: " + *why + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server.Get("/metrics", [&hooks](const httplib::Request&, httplib::Response& res) {
    res.set_content(hooks.metrics.render(static_cast<std::int64_t>(std::time(nullptr))),
                    "text/plain; version=0.0.4; charset=utf-8");
  });

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host.c_str());
    if (bound < 0) return Error(ErrorCode::kIo, "--listen " + host + ":0: cannot bind");
  } else if (!server.bind_to_port(host.c_str(), port)) {
    return Error(ErrorCode::kIo, "--listen " + host + ":" + std::to_string(port) +
                                     ": cannot bind (in use, or not an address of this host)");
  }
  std::thread watcher([&] {
    while (!stop.load()) {
      for (int i = 0; i < 10 && !stop.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop.load()) break;
      if (auto st = identity->reload_if_changed(); !st)
        log::error("TLS certificate not reloaded, the old one stays: " + st.error().message());
      if (hooks.tick) hooks.tick();
    }
    server.stop();
  });
  on_listening(bound);
  server.listen_after_bind();
  const bool asked = stop.exchange(true);  // ends the watcher when listening ended by itself
  watcher.join();
  if (!asked) return Error(ErrorCode::kIo, "the server stopped listening");
  return {};
}

}  // namespace trustctl::cli
