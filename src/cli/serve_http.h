// The HTTPS side of `trustctl serve` (docs/webhook.md): cpp-httplib over OpenSSL, the
// AdmissionReview endpoints and the operational ones, and a certificate that is re-read when its
// files change (cert-manager renews it in place).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "serve_reviews.h"
#include "trustctl/core/result.h"
#include "trustctl/webhook/metrics.h"

namespace trustctl::cli {

// The certificate (with its chain) and key the server presents, from two PEM files.
class TlsIdentity {
 public:
  static Result<std::shared_ptr<TlsIdentity>> load(std::string cert_file, std::string key_file);
  ~TlsIdentity();
  // Re-reads the files when they changed; a pair that does not load (or does not match) leaves
  // the current one in place and is returned as the error.
  Status reload_if_changed();
  // Installs the current pair on a connection (OpenSSL's certificate callback).
  bool install(void* ssl) const;

  struct Pair;  // a certificate, its chain and its key (OpenSSL objects)

 private:
  TlsIdentity(std::string cert_file, std::string key_file);
  std::string cert_file_, key_file_;
  std::string stamp_;  // what the files looked like when loaded
  mutable std::mutex mutex_;
  std::shared_ptr<Pair> pair_;
};

struct ServeHooks {
  ReviewService& reviews;
  webhook::Metrics& metrics;
  // Why the server is not ready (nullopt: ready).
  std::function<std::optional<std::string>()> not_ready;
  // Called about once a second on the watcher thread (reloads).
  std::function<void()> tick;
};

// Serves until `stop` is set. `on_listening` gets the bound port (--listen HOST:0 picks one).
Status serve_https(const std::string& host, int port, std::shared_ptr<TlsIdentity> identity,
                   ServeHooks hooks, std::atomic<bool>& stop,
                   const std::function<void(int port)>& on_listening);

}  // namespace trustctl::cli
