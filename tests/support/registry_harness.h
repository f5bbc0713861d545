// TestRegistry: a real docker/distribution registry (Debian's docker-registry 2.8) on
// 127.0.0.1 for integration tests, optionally with TLS, htpasswd or token auth (the token server
// is trustctl-test-token-server). Each instance owns a folder:
//   config.yml  registry.log  registry.pid  env  url  data/
//   tls/{ca.crt,ca.key,server.crt,server.key}  certs.d/ca.crt           (tls)
//   auth/htpasswd                                                       (htpasswd)
//   token/{signing.key,signing.crt,token.log,requests.jsonl}  token.pid (token)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/jwt.h"
#include "trustctl/core/result.h"

namespace trustctl::testing {

inline constexpr char kTokenService[] = "trustctl-test-registry";
inline constexpr char kTokenIssuer[] = "trustctl-test-issuer";
inline constexpr char kHtpasswdRealm[] = "trustctl-test-realm";
// The token server always also knows this pull-only account; anonymous users get nothing.
inline constexpr char kReaderUser[] = "reader";
inline constexpr char kReaderPassword[] = "reader";

struct Credentials {
  std::string user;
  std::string password;
};

enum class TokenAlgorithm { kEs256, kRs256 };

struct RegistryOptions {
  bool tls = false;
  std::optional<Credentials> htpasswd;  // auth: htpasswd (bcrypt) with this one user
  // auth: token. This user may pull, push and delete everywhere and read the catalog.
  std::optional<Credentials> token;
  TokenAlgorithm token_algorithm = TokenAlgorithm::kEs256;
  int token_expiry_seconds = 300;
  bool delete_enabled = true;  // false: DELETE answers 405 UNSUPPORTED
  bool relative_urls = false;  // true: Location headers are relative
  // Empty: a fresh mkdtemp folder under /tmp, removed by stop(). Given: created if missing;
  // stop() removes only its data/ subfolder.
  std::string base_dir;
  bool keep_dir = false;  // keep everything on stop(); TRUSTCTL_TEST_KEEP=1 does the same
  // The processes may outlive this process (trustctl-testenv): no parent-death signal.
  bool detached = false;
  std::chrono::milliseconds ready_timeout{10000};
};

class TestRegistry {
 public:
  // Starts the token server (token auth) and the registry, and waits until GET /v2/ answers
  // 200 or 401. Fails loudly, naming the Debian package, if a needed tool is not installed.
  static Result<std::unique_ptr<TestRegistry>> start(RegistryOptions options = {});

  // Stops the processes recorded in DIR/registry.pid and DIR/token.pid (after checking their
  // command lines) and, with `purge`, removes DIR. Used by `trustctl-testenv stop`.
  static Status stop_dir(const std::string& dir, bool purge);

  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  // Stops the registry and the token server; removes data as described in RegistryOptions.
  // Idempotent; also run by the destructor.
  Status stop();
  // Lets the processes run on after this object is gone (the destructor no longer stops them).
  void release() { released_ = true; }

  const std::string& url() const { return url_; }  // http(s)://127.0.0.1:PORT
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  bool tls() const { return options_.tls; }
  const std::string& ca_file() const { return ca_file_; }      // "" without TLS
  const std::string& certs_dir() const { return certs_dir_; }  // holds only ca.crt; "" w/o TLS
  // The htpasswd or token user; "" for an anonymous registry.
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  // "" without token auth; https://127.0.0.1:TPORT/token for a TLS registry, else http://.
  const std::string& token_url() const { return token_url_; }
  std::string token_host_port() const;  // "127.0.0.1:TPORT", "" without token auth
  pid_t pid() const { return pid_; }
  pid_t token_pid() const { return token_pid_; }  // 0 without token auth
  const RegistryOptions& options() const { return options_; }

  const std::string& base_dir() const { return dir_; }
  std::string config_file() const { return dir_ + "/config.yml"; }
  std::string data_dir() const { return dir_ + "/data"; }
  std::string log_file() const { return dir_ + "/registry.log"; }
  std::string env_file() const { return dir_ + "/env"; }
  std::string token_key_file() const { return dir_ + "/token/signing.key"; }
  std::string token_cert_file() const { return dir_ + "/token/signing.crt"; }
  std::string token_log_file() const { return dir_ + "/token/token.log"; }
  // One JSON object per token request (see trustctl-test-token-server --record).
  std::string token_requests_file() const { return dir_ + "/token/requests.jsonl"; }
  std::string log_tail(size_t lines = 30) const;

  // A signer holding the token server's key, to hand-craft tokens the registry would accept
  // (or, with changed claims, reject).
  Result<JwtSigner> token_signer() const;
  // skopeo copy flags for pushing here: --dest-creds, --dest-cert-dir / --dest-tls-verify=false.
  std::vector<std::string> skopeo_dest_flags() const;

 private:
  explicit TestRegistry(RegistryOptions options) : options_(std::move(options)) {}
  Status prepare_dir();
  Status write_tls();
  Status write_htpasswd();
  Status start_token_server();
  Status start_registry();
  Status write_env() const;

  RegistryOptions options_;
  std::string dir_;
  bool own_dir_ = false;
  std::string url_, ca_file_, certs_dir_, username_, password_, token_url_;
  int port_ = 0;
  pid_t pid_ = 0;
  pid_t token_pid_ = 0;
  bool released_ = false;
  bool stopped_ = false;
};

}  // namespace trustctl::testing
