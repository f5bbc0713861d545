// Answers registry 401s: Basic credentials, or docker registry bearer tokens fetched from the
// challenge's realm (token spec GET, or the OAuth2 refresh_token POST) and cached until expiry.
#include "trustctl/auth/authenticator.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "scope.h"
#include "trustctl/core/encoding.h"
#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"

namespace trustctl::auth {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using Json = nlohmann::json;

constexpr std::chrono::seconds kDefaultLifetime{60};  // token spec: expires_in absent
constexpr std::chrono::seconds kMaxLifetime{24 * 3600};
// A token is no longer sent pre-emptively this long before it expires (or after half its life
// for short-lived tokens), so a request does not race its expiry.
constexpr std::chrono::seconds kRefreshMargin{10};
constexpr size_t kMaxTokensPerHost = 32;

// "https" for "HTTPS://h/x", "" without a scheme.
std::string lower_scheme(std::string_view url) {
  auto end = url.find("://");
  std::string scheme(end == std::string_view::npos ? std::string_view() : url.substr(0, end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme;
}

bool has_password(const Credentials& c) { return !c.username.empty() || !c.password.empty(); }

std::string basic_value(const Credentials& c) {
  return "Basic " + encoding::base64_encode(c.username + ":" + c.password);
}

struct TokenReply {
  std::string token;
  std::chrono::seconds lifetime = kDefaultLifetime;
  std::optional<TimePoint> issued_at;
};

// Reads `n` digits at s[pos], advancing pos.
std::optional<int> read_digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || std::toupper(static_cast<unsigned char>(s[pos])) != c) return false;
  ++pos;
  return true;
}

// RFC 3339 date-time: 2006-01-02T15:04:05[.999999999](Z|+07:00).
std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  size_t p = 0;
  auto y = read_digits(s, p, 4);
  if (!y || !expect(s, p, '-')) return std::nullopt;
  auto mo = read_digits(s, p, 2);
  if (!mo || !expect(s, p, '-')) return std::nullopt;
  auto d = read_digits(s, p, 2);
  if (!d || !(expect(s, p, 'T') || expect(s, p, ' '))) return std::nullopt;
  auto h = read_digits(s, p, 2);
  if (!h || !expect(s, p, ':')) return std::nullopt;
  auto mi = read_digits(s, p, 2);
  if (!mi || !expect(s, p, ':')) return std::nullopt;
  auto sec = read_digits(s, p, 2);
  if (!sec) return std::nullopt;
  year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok() || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  if (p < s.size() && s[p] == '.') {  // fractional seconds: dropped
    ++p;
    size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p == start) return std::nullopt;
  }
  seconds offset{0};
  if (expect(s, p, 'Z')) {
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    auto oh = read_digits(s, p, 2);
    if (!oh || !expect(s, p, ':')) return std::nullopt;
    auto om = read_digits(s, p, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = seconds(sign * (*oh * 3600 + *om * 60));
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  auto t = sys_days(date) + hours(*h) + minutes(*mi) + seconds(*sec) - offset;
  return time_point_cast<system_clock::duration>(t);
}

// A short, printable description of a token server's error body (docker "errors" list, or the
// OAuth2 "error"/"error_description"), or "" when it is not JSON. kIntegrity when it nests
// deeper than any honest answer.
Result<std::string> error_detail(const std::string& body, const std::string& what) {
  auto parsed = parse_untrusted_json(body, what, ErrorCode::kProtocol);
  if (!parsed && parsed.error().code() == ErrorCode::kIntegrity) return parsed.error();
  const Json j = parsed ? std::move(*parsed) : Json();
  std::string out;
  if (j.is_object()) {
    if (auto it = j.find("errors"); it != j.end() && it->is_array()) {
      for (const auto& e : *it) {
        if (!e.is_object()) continue;
        auto m = e.find("message");
        if (m != e.end() && m->is_string()) {
          if (!out.empty()) out += "; ";
          out += m->get<std::string>();
        }
      }
    }
    for (const char* key : {"error_description", "error", "details", "message"}) {
      if (!out.empty()) break;
      auto it = j.find(key);
      if (it != j.end() && it->is_string()) out = it->get<std::string>();
    }
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

Result<TokenReply> parse_token_reply(const std::string& body, const std::string& realm) {
  auto parsed = parse_untrusted_json(body, "token server " + realm, ErrorCode::kProtocol);
  if (!parsed && parsed.error().code() == ErrorCode::kIntegrity) return parsed.error();
  const Json j = parsed ? std::move(*parsed) : Json();
  if (!j.is_object()) {
    return Error(ErrorCode::kProtocol, "token server " + realm + " answered malformed JSON");
  }
  TokenReply reply;
  for (const char* key : {"token", "access_token"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
      reply.token = it->get<std::string>();
      break;
    }
  }
  if (reply.token.empty()) {
    return Error(ErrorCode::kProtocol, "token server " + realm + " answered without a token");
  }
  // The token goes into a header: reject anything that could split it.
  for (char c : reply.token) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Error(ErrorCode::kProtocol,
                   "token server " + realm + " answered a token with invalid characters");
    }
  }
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number()) {
    double secs = it->get<double>();
    if (secs >= 1) {
      reply.lifetime = secs >= static_cast<double>(kMaxLifetime.count())
                           ? kMaxLifetime
                           : std::chrono::seconds(static_cast<long long>(secs));
    }
  }
  if (auto it = j.find("issued_at"); it != j.end() && it->is_string()) {
    reply.issued_at = parse_rfc3339(it->get<std::string>());
    if (!reply.issued_at) log::debug("token server " + realm + ": ignoring unparsable issued_at");
  }
  return reply;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

Result<TokenReply> fetch_token(http::HttpClient& client, const std::string& host,
                               const std::string& realm, const std::string& service,
                               const std::vector<std::string>& scopes,
                               const std::optional<Credentials>& credentials) {
  http::Request request;
  const bool oauth = credentials && !credentials->identity_token.empty();
  const bool anonymous = !credentials || (!oauth && !has_password(*credentials));
  if (oauth) {
    // OAuth2 refresh_token grant (docker's identity token).
    request.method = "POST";
    request.url = realm;
    std::string form =
        "grant_type=refresh_token&refresh_token=" + http::url_encode(credentials->identity_token);
    if (!service.empty()) form += "&service=" + http::url_encode(service);
    if (!scopes.empty()) form += "&scope=" + http::url_encode(join(scopes, " "));
    form += "&client_id=trustctl";
    request.body = std::move(form);
    request.headers.set("Content-Type", "application/x-www-form-urlencoded");
    log::debug("requesting a token for " + host + " from " + realm + " with an identity token");
  } else {
    std::string query;
    auto add = [&query](std::string_view key, std::string_view value) {
      if (!query.empty()) query += '&';
      query += key;
      query += '=';
      query += http::url_encode(value);
    };
    if (!service.empty()) add("service", service);
    for (const auto& s : scopes) add("scope", s);
    if (!anonymous && !credentials->username.empty()) add("account", credentials->username);
    request.url = realm;
    if (!query.empty()) {
      char last = realm.empty() ? '\0' : realm.back();
      if (realm.find('?') == std::string::npos)
        request.url += '?';
      else if (last != '?' && last != '&')
        request.url += '&';
      request.url += query;
    }
    if (!anonymous) {
      request.headers.set("Authorization", basic_value(*credentials));
      log::debug("requesting a token for " + host + " from " + realm + " with Basic credentials");
    } else {
      log::debug("requesting an anonymous token for " + host + " from " + realm);
    }
  }
  request.headers.set("Accept", "application/json");
  request.retryable = true;  // a token request has no side effect
  request.max_response_bytes = 1024 * 1024;

  auto response = client.send(request);
  if (!response) {
    return response.error().wrap("cannot get a token for " + host + " from " + realm);
  }
  const long status = response->status;
  if (status >= 200 && status < 300) return parse_token_reply(response->body, realm);

  std::string answered = "token server " + realm + " answered " + std::to_string(status);
  TRUSTCTL_TRY_ASSIGN(std::string detail, error_detail(response->body, answered));
  if (!detail.empty()) answered += " (" + detail + ")";
  if (status == 401 || status == 403 || (oauth && status == 400)) {
    std::string msg = "authentication failed for " + host + ": " + answered;
    if (anonymous) msg += "; no credentials are stored, run `trustctl login " + host + "`";
    return Error(ErrorCode::kAuth, std::move(msg));
  }
  if (status == 429 || status >= 500) {
    return Error(ErrorCode::kNetwork, "cannot get a token for " + host + ": " + answered);
  }
  return Error(ErrorCode::kProtocol, "cannot get a token for " + host + ": " + answered);
}

}  // namespace

Status check_challenger(const std::string& registry_host, std::string_view answered_url) {
  const std::string answered_by = http::url_host_port(answered_url);
  if (http::iequals(answered_by, registry_host)) return {};
  const std::string who = answered_by.empty() ? std::string("an unknown origin") : answered_by;
  return Error(ErrorCode::kAuth, who + ", not the registry " + registry_host +
                                     ", asks for credentials (HTTP 401 from " +
                                     std::string(answered_url) + "): trustctl sends the " +
                                     "credentials of " + registry_host + " to no other origin");
}

Authenticator::Authenticator(http::HttpClient& client, CredentialSource credentials, Clock clock)
    : client_(client), source_(std::move(credentials)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

Result<std::optional<Credentials>> Authenticator::credentials_for(
    const std::string& registry_host) {
  if (auto it = credential_cache_.find(registry_host); it != credential_cache_.end()) {
    return it->second;
  }
  std::optional<Credentials> found;
  if (source_) {
    TRUSTCTL_TRY_ASSIGN(found, source_(registry_host));
    if (found && found->empty()) found.reset();
  }
  credential_cache_[registry_host] = found;
  return found;
}

std::optional<std::string> Authenticator::authorization(const std::string& registry_host,
                                                        const std::vector<std::string>& scopes) {
  if (auto it = tokens_.find(registry_host); it != tokens_.end()) {
    const auto now = clock_();
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const CachedToken& t) { return t.expires <= now; }),
               list.end());
    const ScopeSet wanted = parse_scopes(scopes);
    for (auto t = list.rbegin(); t != list.rend(); ++t) {
      if (scopes_cover(parse_scopes(t->scopes), wanted)) return "Bearer " + t->token;
    }
  }
  // Hosts that answered a Basic challenge (or take a fixed registry token) get the same
  // credentials pre-emptively.
  if (basic_hosts_.count(registry_host)) {
    // A recalled host has not looked its credentials up yet in this process.
    if (!credential_cache_.count(registry_host) && !credentials_for(registry_host))
      return std::nullopt;
    auto c = credential_cache_.find(registry_host);
    if (c != credential_cache_.end() && c->second) {
      if (!c->second->registry_token.empty()) return "Bearer " + c->second->registry_token;
      if (has_password(*c->second)) return basic_value(*c->second);
    }
  }
  return std::nullopt;
}

Result<std::string> Authenticator::respond(const std::string& registry_host,
                                           std::string_view request_url,
                                           std::string_view www_authenticate,
                                           const std::vector<std::string>& scopes) {
  TRUSTCTL_TRY(check_challenger(registry_host, request_url));
  auto challenges = parse_challenges(www_authenticate);
  if (!challenges) return challenges.error().wrap(registry_host + " answered 401");
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  std::string schemes;
  for (const auto& c : *challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
    schemes += (schemes.empty() ? "" : ", ") + c.scheme;
  }

  if (bearer) {
    std::string realm = bearer->param("realm");
    if (realm.empty()) {
      return Error(ErrorCode::kProtocol,
                   registry_host + " answered 401 with a Bearer challenge without a realm");
    }
    realm = http::resolve_url(request_url, realm);
    const std::string scheme = lower_scheme(realm);
    if (http::url_origin(realm).empty() || (scheme != "https" && scheme != "http")) {
      return Error(ErrorCode::kProtocol,
                   registry_host + " answered 401 with an unusable token realm: " + realm);
    }
    // Credentials (and the token) go to the realm: over HTTPS whenever the registry is reached
    // over HTTPS. Plain HTTP is only as good as the registry's own plain HTTP.
    if (scheme == "http" && lower_scheme(request_url) != "http") {
      return Error(ErrorCode::kAuth, registry_host + " (HTTPS) names the plain-HTTP token realm " +
                                         realm +
                                         ": credentials and tokens would cross the network in "
                                         "clear, so trustctl refuses it");
    }
    std::vector<std::string> all_scopes = scopes;
    all_scopes.push_back(bearer->param("scope"));
    const ScopeSet wanted = parse_scopes(all_scopes);
    const std::vector<std::string> scope_list = format_scopes(wanted);

    TRUSTCTL_TRY_ASSIGN(auto credentials, credentials_for(registry_host));
    if (credentials && !credentials->registry_token.empty()) {
      basic_hosts_[registry_host] = true;
      log::debug("using the stored registry token for " + registry_host);
      return "Bearer " + credentials->registry_token;
    }

    const auto now = clock_();
    TRUSTCTL_TRY_ASSIGN(TokenReply reply,
                        fetch_token(client_, registry_host, realm, bearer->param("service"),
                                    scope_list, credentials));
    TimePoint start = now;
    if (reply.issued_at && *reply.issued_at < now) start = *reply.issued_at;
    const auto margin = std::min<std::chrono::seconds>(kRefreshMargin, reply.lifetime / 2);

    // Tokens for these scopes were just refused (or were never sent): never hand them out again.
    auto& list = tokens_[registry_host];
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const CachedToken& t) {
                                ScopeSet have = parse_scopes(t.scopes);
                                return t.expires <= now || scopes_cover(have, wanted) ||
                                       scopes_cover(wanted, have);
                              }),
               list.end());
    if (list.size() >= kMaxTokensPerHost) list.erase(list.begin());
    list.push_back(CachedToken{reply.token, start + reply.lifetime - margin, scope_list});
    return "Bearer " + reply.token;
  }

  if (basic) {
    TRUSTCTL_TRY_ASSIGN(auto credentials, credentials_for(registry_host));
    if (!credentials || !has_password(*credentials)) {
      return Error(ErrorCode::kAuth, registry_host +
                                         " requires authentication (Basic) and no credentials "
                                         "are stored for it; run `trustctl login " +
                                         registry_host + "`");
    }
    basic_hosts_[registry_host] = true;
    log::debug("using Basic credentials for " + registry_host);
    return basic_value(*credentials);
  }

  return Error(ErrorCode::kAuth,
               registry_host + " requires an unsupported authentication scheme: " + schemes);
}

Authenticator::Memo Authenticator::memo(const std::string& registry_host) const {
  Memo m;
  m.preemptive = basic_hosts_.count(registry_host) > 0;
  if (auto it = tokens_.find(registry_host); it != tokens_.end()) {
    const auto now = clock_();
    for (const auto& t : it->second)
      if (t.expires > now) m.tokens.push_back(t);
  }
  return m;
}

void Authenticator::recall(const std::string& registry_host, const Memo& memo) {
  if (memo.preemptive) basic_hosts_[registry_host] = true;
  auto& list = tokens_[registry_host];
  const auto now = clock_();
  for (const auto& t : memo.tokens) {
    if (t.expires <= now || t.token.empty() || list.size() >= kMaxTokensPerHost) continue;
    list.push_back(t);
  }
}

void Authenticator::forget(const std::string& registry_host) {
  tokens_.erase(registry_host);
  credential_cache_.erase(registry_host);
  basic_hosts_.erase(registry_host);
}

}  // namespace trustctl::auth
