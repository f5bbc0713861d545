// trustctl-test-token-server: a token server for docker/distribution's `auth: token`, for tests.
//
//   GET  /token?service=S&scope=A&scope=B[&account=U][&offline_token=true&client_id=C]
//        with optional Authorization: Basic (wrong credentials -> 401)
//   POST /token  application/x-www-form-urlencoded (OAuth2): grant_type=password (username,
//        password) or grant_type=refresh_token (refresh_token); service, scope, client_id,
//        access_type=offline -> a refresh_token too
// Answers {"token","access_token","expires_in","issued_at"[,"refresh_token"]}. Grants the
// intersection of what is asked and what the account may do: --user pull,push,delete (and *)
// on every repository plus registry:catalog:*; reader:reader pull only; anonymous nothing.
// Tokens are JWTs signed ES256 (EC key) or RS256 (RSA key) with kid = libtrust fingerprint.
// Listens on 127.0.0.1 only (HTTPS with --tls-cert/--tls-key); with --port 0 the chosen port is
// the first line on stdout.
#include <httplib.h>
#include <openssl/rand.h>
#include <strings.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "support/jwt.h"
#include "trustctl/core/encoding.h"

namespace {

using nlohmann::json;
using trustctl::testing::JwtSigner;
using Params = std::vector<std::pair<std::string, std::string>>;

struct Config {
  std::string issuer;
  std::string service;
  std::string user;  // "" = no full-access account
  std::string password;
  std::string reader_user = "reader";
  std::string reader_password = "reader";
  int expiry_seconds = 300;
  std::string record_file;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string random_token() {
  unsigned char raw[18];
  RAND_bytes(raw, sizeof raw);
  return trustctl::encoding::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

Params parse_form(std::string_view body) {
  Params params;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      params.emplace_back(percent_decode(pair.substr(0, eq)),
                          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  return params;
}

std::vector<std::string> values(const Params& params, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params)
    if (k == key) out.push_back(v);
  return out;
}

std::optional<std::string> value(const Params& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return std::nullopt;
}

struct Resource {
  std::string type, cls, name;
  std::vector<std::string> actions;  // requested, then granted
};

// "type[(class)]:name:action[,action]" scopes, several per value separated by spaces; the
// same resource asked twice is merged.
std::vector<Resource> parse_scopes(const std::vector<std::string>& scope_values) {
  std::vector<Resource> out;
  for (const auto& v : scope_values) {
    std::istringstream words(v);
    std::string scope;
    while (words >> scope) {
      size_t first = scope.find(':');
      size_t last = scope.rfind(':');
      if (first == std::string::npos || last == first) continue;  // not a scope
      Resource r;
      r.type = scope.substr(0, first);
      if (size_t paren = r.type.find('('); paren != std::string::npos && r.type.back() == ')') {
        r.cls = r.type.substr(paren + 1, r.type.size() - paren - 2);
        r.type.resize(paren);
      }
      r.name = scope.substr(first + 1, last - first - 1);
      std::istringstream acts(scope.substr(last + 1));
      std::string a;
      std::vector<std::string> actions;
      while (std::getline(acts, a, ','))
        if (!a.empty()) actions.push_back(a);
      auto same = [&](const Resource& o) {
        return o.type == r.type && o.cls == r.cls && o.name == r.name;
      };
      auto it = std::find_if(out.begin(), out.end(), same);
      if (it == out.end()) {
        r.actions = actions;
        out.push_back(r);
      } else {
        for (const auto& x : actions)
          if (std::find(it->actions.begin(), it->actions.end(), x) == it->actions.end())
            it->actions.push_back(x);
      }
    }
  }
  return out;
}

class TokenServer {
 public:
  TokenServer(Config config, JwtSigner signer)
      : config_(std::move(config)), signer_(std::move(signer)) {}

  void handle(const httplib::Request& req, httplib::Response& res) {
    Params params;
    if (req.method == "POST") {
      params = parse_form(req.body);
    } else {
      for (const auto& [k, v] : req.params) params.emplace_back(k, v);
    }
    json record = {{"time", rfc3339(std::time(nullptr))},
                   {"method", req.method},
                   {"path", req.path},
                   {"params", params},
                   {"basic_user", nullptr}};
    json body;
    int status = 200;
    std::string subject;
    std::vector<Resource> granted;
    bool offline = false;
    std::string refresh_token;

    auto fail = [&](int code, json b) {
      status = code;
      body = std::move(b);
    };

    if (auto svc = value(params, "service"); svc && *svc != config_.service) {
      fail(400, {{"errors", {{{"code", "DENIED"}, {"message", "unknown service " + *svc}}}}});
    } else if (req.method == "POST") {
      std::string grant = value(params, "grant_type").value_or("");
      if (grant == "password") {
        auto user = value(params, "username").value_or("");
        auto who = authenticate(user, value(params, "password").value_or(""));
        if (!who) {
          fail(401, {{"error", "invalid_grant"}, {"error_description", "invalid credentials"}});
        } else {
          subject = *who;
          offline = value(params, "access_type") == std::optional<std::string>("offline");
        }
      } else if (grant == "refresh_token") {
        auto token = value(params, "refresh_token").value_or("");
        std::lock_guard lock(mu_);
        auto it = refresh_tokens_.find(token);
        if (it == refresh_tokens_.end()) {
          fail(400, {{"error", "invalid_grant"}, {"error_description", "unknown refresh token"}});
        } else {
          subject = it->second;
          refresh_token = token;
        }
      } else {
        fail(400, {{"error", "unsupported_grant_type"}});
      }
    } else {
      std::string auth = req.get_header_value("Authorization");
      if (!auth.empty()) {
        std::optional<std::string> who;
        if (auth.size() > 6 && strncasecmp(auth.c_str(), "Basic ", 6) == 0) {
          auto decoded = trustctl::encoding::base64_decode(auth.substr(6));
          if (decoded) {
            size_t colon = decoded->find(':');
            if (colon != std::string::npos) {
              record["basic_user"] = decoded->substr(0, colon);
              who = authenticate(decoded->substr(0, colon), decoded->substr(colon + 1));
            }
          }
        }
        if (!who) {
          res.set_header("WWW-Authenticate", "Basic realm=\"trustctl-test-token-server\"");
          fail(401, {{"errors", {{{"code", "UNAUTHORIZED"}, {"message", "invalid credentials"}}}}});
        } else {
          subject = *who;
        }
      }
      offline =
          !subject.empty() && value(params, "offline_token") == std::optional<std::string>("true");
    }

    if (status == 200) {
      granted = grant(subject, parse_scopes(values(params, "scope")));
      json access = json::array();
      for (const auto& r : granted) {
        json entry = {{"type", r.type}, {"name", r.name}, {"actions", r.actions}};
        if (!r.cls.empty()) entry["class"] = r.cls;
        access.push_back(entry);
      }
      std::time_t now = std::time(nullptr);
      trustctl::testing::TokenClaimsSpec spec;
      spec.issuer = config_.issuer;
      spec.audience = config_.service;
      spec.subject = subject;
      spec.access = access;
      spec.lifetime = std::chrono::seconds(config_.expiry_seconds);
      spec.issued_at = std::chrono::system_clock::from_time_t(now);
      auto token = signer_.sign(trustctl::testing::token_claims(spec));
      if (!token) {
        fail(500, {{"errors", {{{"code", "UNKNOWN"}, {"message", token.error().message()}}}}});
      } else {
        body = {{"token", *token},
                {"access_token", *token},
                {"expires_in", config_.expiry_seconds},
                {"issued_at", rfc3339(now)}};
        if (offline) {  // a new refresh token (password grant or GET offline_token=true)
          refresh_token = random_token();
          std::lock_guard lock(mu_);
          refresh_tokens_[refresh_token] = subject;
        }
        // The refresh_token grant hands back the refresh token it was given.
        if (!refresh_token.empty()) body["refresh_token"] = refresh_token;
        record["access"] = access;
      }
    }
    record["subject"] = subject;
    record["status"] = status;
    res.status = status;
    res.set_content(body.dump(), "application/json");
    log(req, record);
  }

 private:
  std::optional<std::string> authenticate(const std::string& user, const std::string& password) {
    if (!config_.user.empty() && user == config_.user && password == config_.password) return user;
    if (user == config_.reader_user && password == config_.reader_password) return user;
    return std::nullopt;
  }

  std::set<std::string> allowed(const std::string& subject, const Resource& r) const {
    if (subject.empty()) return {};
    if (subject == config_.user && !config_.user.empty()) {
      if (r.type == "repository") return {"pull", "push", "delete", "*"};
      if (r.type == "registry" && r.name == "catalog") return {"*"};
      return {};
    }
    if (subject == config_.reader_user && r.type == "repository") return {"pull"};
    return {};
  }

  std::vector<Resource> grant(const std::string& subject, std::vector<Resource> asked) const {
    for (auto& r : asked) {
      std::set<std::string> ok = allowed(subject, r);
      std::vector<std::string> given;
      for (const auto& a : r.actions)
        if (ok.count(a)) given.push_back(a);
      r.actions = std::move(given);
    }
    return asked;
  }

  void log(const httplib::Request& req, const json& record) {
    std::lock_guard lock(mu_);
    std::cerr << req.method << " " << req.target << " -> " << record["status"].get<int>()
              << " subject=" << record["subject"].get<std::string>() << std::endl;
    if (!config_.record_file.empty()) {
      std::ofstream out(config_.record_file, std::ios::app);
      out << record.dump() << "\n";
    }
  }

  Config config_;
  JwtSigner signer_;
  std::mutex mu_;
  std::map<std::string, std::string> refresh_tokens_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  cxxopts::Options options("trustctl-test-token-server",
                           "Token server for docker-registry `auth: token` (tests only)");
  // clang-format off
  options.add_options()
    ("port", "port on 127.0.0.1 (0: pick one and print it first on stdout)",
     cxxopts::value<int>()->default_value("0"))
    ("key", "PEM private key: EC P-256 (ES256) or RSA (RS256)", cxxopts::value<std::string>())
    ("cert", "PEM certificate of the key (the registry's rootcertbundle)",
     cxxopts::value<std::string>()->default_value(""))
    ("issuer", "iss claim", cxxopts::value<std::string>()->default_value("trustctl-test-issuer"))
    ("service", "aud claim; a different service= is refused",
     cxxopts::value<std::string>()->default_value("trustctl-test-registry"))
    ("user", "USER:PASSWORD of the full-access account", cxxopts::value<std::string>())
    ("reader", "USER:PASSWORD of the pull-only account",
     cxxopts::value<std::string>()->default_value("reader:reader"))
    ("expiry", "token lifetime in seconds", cxxopts::value<int>()->default_value("300"))
    ("record", "append one JSON line per request to this file", cxxopts::value<std::string>())
    ("tls-cert", "serve HTTPS with this PEM certificate (with --tls-key)",
     cxxopts::value<std::string>())
    ("tls-key", "PEM private key of --tls-cert", cxxopts::value<std::string>())
    ("h,help", "this help");
  // clang-format on
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trustctl-test-token-server: " << e.what() << "\n";
    return 2;
  }
  if (args.count("help")) {
    std::cout << options.help() << "\n";
    return 0;
  }
  if (!args.count("key")) {
    std::cerr << "trustctl-test-token-server: --key is required\n";
    return 2;
  }

  Config config;
  config.issuer = args["issuer"].as<std::string>();
  config.service = args["service"].as<std::string>();
  config.expiry_seconds = args["expiry"].as<int>();
  if (args.count("record")) config.record_file = args["record"].as<std::string>();
  auto split = [](const std::string& up, std::string& user, std::string& password) {
    size_t colon = up.find(':');
    if (colon == std::string::npos) return false;
    user = up.substr(0, colon);
    password = up.substr(colon + 1);
    return !user.empty();
  };
  if (args.count("user") && !split(args["user"].as<std::string>(), config.user, config.password)) {
    std::cerr << "trustctl-test-token-server: --user wants USER:PASSWORD\n";
    return 2;
  }
  if (!split(args["reader"].as<std::string>(), config.reader_user, config.reader_password)) {
    std::cerr << "trustctl-test-token-server: --reader wants USER:PASSWORD\n";
    return 2;
  }

  std::string key_pem = read_file(args["key"].as<std::string>());
  std::string cert_file = args["cert"].as<std::string>();
  auto signer = JwtSigner::from_pem(key_pem, cert_file.empty() ? "" : read_file(cert_file));
  if (!signer) {
    std::cerr << "trustctl-test-token-server: " << signer.error().message() << "\n";
    return 1;
  }

  const std::string algorithm = signer->algorithm(), key_id = signer->key_id();
  TokenServer token_server(config, std::move(*signer));
  if (args.count("tls-cert") != args.count("tls-key")) {
    std::cerr << "trustctl-test-token-server: --tls-cert and --tls-key go together\n";
    return 2;
  }
  const bool tls = args.count("tls-cert") > 0;
  std::unique_ptr<httplib::Server> server;
  if (tls) {
    server = std::make_unique<httplib::SSLServer>(args["tls-cert"].as<std::string>().c_str(),
                                                  args["tls-key"].as<std::string>().c_str());
  } else {
    server = std::make_unique<httplib::Server>();
  }
  if (!server->is_valid()) {
    std::cerr << "trustctl-test-token-server: cannot load the TLS certificate or key\n";
    return 1;
  }
  auto handler = [&token_server](const httplib::Request& req, httplib::Response& res) {
    token_server.handle(req, res);
  };
  server->Get("/token", handler);
  server->Post("/token", handler);

  int port = args["port"].as<int>();
  if (port == 0) {
    port = server->bind_to_any_port("127.0.0.1");
  } else if (!server->bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "trustctl-test-token-server: cannot listen on 127.0.0.1\n";
    return 1;
  }
  std::cout << port << std::endl;
  std::cerr << "trustctl-test-token-server: listening on " << (tls ? "https" : "http")
            << "://127.0.0.1:" << port << " alg " << algorithm << " kid " << key_id << std::endl;
  return server->listen_after_bind() ? 0 : 1;
}
