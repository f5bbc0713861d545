// trustctl serve: the admission webhook (docs/webhook.md). The same policy and evaluation as
// `admit`, over HTTPS for the Kubernetes API server; verified results cached per repository and
// trust manifest digest; the policy and the TLS certificate reloaded without a restart.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "serve_http.h"
#include "serve_reviews.h"
#include "serve_verifier.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }
extern "C" void on_reload_signal(int) { g_reload.store(true); }

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_reload_signal;
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer is not fatal
}

// "30s", "500ms", "2m", or a bare number of seconds.
Result<std::chrono::milliseconds> duration(const std::string& flag, const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  long long factor = unit == "ms"                  ? 1
                     : unit == "s" || unit.empty() ? 1000
                     : unit == "m"                 ? 60000
                                                   : 0;
  if (digits == 0 || digits > 9 || factor == 0)
    return Error(ErrorCode::kUsage,
                 "--" + flag + " wants a duration like 30s, 500ms or 2m, not '" + text + "'");
  return std::chrono::milliseconds(std::stoll(text.substr(0, digits)) * factor);
}

Result<std::pair<std::string, int>> listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  auto bad = [&] {
    return Error(ErrorCode::kUsage,
                 "--listen wants ADDRESS:PORT (0.0.0.0:8443, 127.0.0.1:0), not '" + text + "'");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return bad();
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return bad();
  const int n = std::stoi(port);
  if (n > 65535) return bad();
  return std::pair{host, n};
}

// Whether the state dir takes a write now (readiness): nullopt when it does.
std::optional<std::string> state_dir_unwritable(const std::string& dir) {
  const std::string probe = dir + "/.readyz-" + std::to_string(::getpid());
  if (auto st = fs::write_file_atomic(probe, "ok", 0600); !st)
    return "the state dir " + dir + " is not writable: " + st.error().message();
  std::error_code ec;
  std::filesystem::remove(probe, ec);
  return std::nullopt;
}

// The policy file, watched: reloaded when it changes or on SIGHUP; a policy that does not load
// leaves the current one in place.
class PolicyWatch {
 public:
  PolicyWatch(std::string path, ReviewService& reviews, webhook::Metrics& metrics)
      : path_(std::move(path)), reviews_(reviews), metrics_(metrics), stamp_(stamp()) {}

  void tick() {
    const bool signalled = g_reload.exchange(false);
    const std::string now = stamp();
    if (!signalled && now == stamp_) return;
    stamp_ = now;
    auto loaded = policy::load_policy(path_);
    metrics_.policy_reload(loaded.ok());
    if (!loaded) {
      log::error("policy not reloaded, the previous one stays in force: " +
                 loaded.error().message());
      return;
    }
    reviews_.set_policy(std::make_shared<const policy::Policy>(std::move(loaded).value()));
    log::info("policy reloaded from " + path_);
  }

 private:
  std::string stamp() const {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(path_, ec);
    auto size = std::filesystem::file_size(path_, ec);
    return ec ? std::string("missing")
              : std::to_string(t.time_since_epoch().count()) + ":" + std::to_string(size);
  }
  std::string path_;
  ReviewService& reviews_;
  webhook::Metrics& metrics_;
  std::string stamp_;
};

Status serve(Context& ctx) {
  for (const char* flag : {"policy", "tls-cert", "tls-key"})
    if (!ctx.value(flag))
      return Error(ErrorCode::kUsage,
                   std::string("serve needs --") + flag +
                       " (trustctl serve --policy FILE --tls-cert FILE --tls-key FILE)");
  const std::string policy_file = *ctx.value("policy");
  TRUSTCTL_TRY_ASSIGN(auto policy, policy::load_policy(policy_file));
  TRUSTCTL_TRY_ASSIGN(auto address, listen_address(*ctx.value("listen")));
  TRUSTCTL_TRY_ASSIGN(auto recheck, duration("recheck", *ctx.value("recheck")));
  TRUSTCTL_TRY_ASSIGN(auto deadline, duration("deadline", *ctx.value("deadline")));
  if (deadline.count() < 100) return Error(ErrorCode::kUsage, "--deadline must be at least 100ms");
  TRUSTCTL_TRY_ASSIGN(auto identity,
                      TlsIdentity::load(*ctx.value("tls-cert"), *ctx.value("tls-key")));

  auto metrics = std::make_shared<webhook::Metrics>();
  // The state dir is the trust dir the verifications keep their trusted state in.
  Context state = ctx;
  if (auto dir = ctx.value("state-dir")) state.global.trust_dir = *dir;
  std::error_code ec;
  std::filesystem::create_directories(state.global.trust_dir, ec);
  if (ec)
    return Error(ErrorCode::kIo,
                 "cannot create the state dir " + state.global.trust_dir + ": " + ec.message());
  ::chmod(state.global.trust_dir.c_str(), 0700);
  TRUSTCTL_TRY(check_trust_dir(state));
  state.global.on_registry_request = [metrics] { metrics->registry_request(); };

  auto verifier = std::make_shared<CachedVerifier>(state, recheck, metrics);
  ReviewSettings settings{deadline, ctx.has("fail-open")};
  auto reviews = std::make_shared<ReviewService>(
      verifier, settings, std::make_shared<const policy::Policy>(std::move(policy)), metrics);
  PolicyWatch watch(policy_file, *reviews, *metrics);

  install_signals();
  const std::string state_dir = state.global.trust_dir;
  ServeHooks hooks{*reviews, *metrics, [&] { return state_dir_unwritable(state_dir); },
                   [&] { watch.tick(); }};
  auto status = serve_https(address.first, address.second, identity, hooks, g_stop, [&](int port) {
    log::info("serving admission reviews on https://" + address.first + ":" + std::to_string(port) +
              " (policy " + policy_file + ", state dir " + state_dir + ", recheck " +
              std::to_string(recheck.count()) + "ms" +
              (settings.fail_open ? ", fail-open" : ", fail-closed") + ")");
  });
  if (!reviews->wait_for_workers(std::chrono::seconds(2))) {
    // Verifications stuck on an unresponsive registry: their results are no longer wanted.
    log::info("stopped (abandoning verifications still waiting for a registry)");
    std::fflush(nullptr);
    std::_Exit(status.ok() ? 0 : status.error().exit_code());
  }
  log::info("stopped");
  return status;
}

}  // namespace

std::vector<CommandSpec> serve_commands() {
  return {
      {"serve",
       "Run the Kubernetes admission webhook (validating and mutating) over HTTPS",
       "Serve Kubernetes AdmissionReview (admission.k8s.io/v1) requests with the policy and the "
       "checks of `trustctl admit`: POST /validate admits or denies (HTTP 200, status 403 with "
       "one line per container and check), POST /mutate also answers a JSON Patch pinning every "
       "admitted image to its verified digest. Pods, the workload kinds admit reads and the "
       "pods/ephemeralcontainers subresource are checked; an object being deleted is admitted.\n\n"
       "Verified results are kept per repository and trust manifest digest: within --recheck "
       "an image costs no registry request, after it one HEAD of the trust data (a revocation is "
       "seen within --recheck). The trusted state (rollback protection) lives in --state-dir. "
       "A review is answered within --deadline (and within the API server's timeout): what is "
       "not verified by then is denied, \"timed out after i of n images\", unless --fail-open.\n\n"
       "GET /healthz, /readyz (policy loaded, state dir writable) and /metrics (Prometheus). The "
       "policy is reloaded on SIGHUP or when its file changes (an invalid one is refused and the "
       "old one kept); the TLS certificate and key when their files change. SIGTERM stops.",
       {},
       {{"policy", '\0', "FILE", "The admission policy (docs/policy.md)", ValueKind::kFile},
        {"tls-cert", '\0', "FILE", "The server certificate (PEM, chain after it)",
         ValueKind::kFile},
        {"tls-key", '\0', "FILE", "Its private key (PEM, unencrypted)", ValueKind::kFile},
        {"listen", '\0', "ADDR:PORT", "Where to listen (port 0: any free port)", ValueKind::kText,
         false, "0.0.0.0:8443"},
        {"state-dir", '\0', "DIR",
         "Where the trusted state is kept (default: the trust dir); persist it across restarts",
         ValueKind::kDir},
        {"recheck", '\0', "DURATION", "How long a verified repository is trusted without a HEAD",
         ValueKind::kText, false, "30s"},
        {"deadline", '\0', "DURATION", "The longest a review may take (below timeoutSeconds)",
         ValueKind::kText, false, "9s"},
        {"fail-open", '\0', "",
         "Admit, with a warning, what could not be verified in time or reached"}},
       0,
       {"trustctl serve --policy policy.yaml --tls-cert tls.crt --tls-key tls.key",
        "trustctl serve --policy /etc/trustctl/policy.yaml --tls-cert /tls/tls.crt "
        "--tls-key /tls/tls.key --state-dir /var/lib/trustctl --recheck 1m"},
       {"TRUSTCTL_TRUST_DIR", "DOCKER_CONFIG"},
       serve},
  };
}

}  // namespace trustctl::cli
