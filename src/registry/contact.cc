#include "contact.h"

#include <nlohmann/json.hpp>

#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"
#include "trustctl/crypto/hash.h"

namespace trustctl::registry::detail {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr int kFormat = 1;
constexpr std::uint64_t kMaxMemoBytes = 256 * 1024;

// A token is reused only by whoever holds the credentials that obtained it: the memo stores a
// hash of the token and the credentials together (never the credentials).
std::string binding(const std::string& token, const std::optional<auth::Credentials>& c) {
  std::string material = "trustctl contact memo v1";
  material += '\0' + token + '\0';
  if (c) {
    material +=
        c->username + '\0' + c->password + '\0' + c->identity_token + '\0' + c->registry_token;
  }
  return crypto::sha256_hex(material);
}

}  // namespace

std::string contact_file_name(const std::string& host) {
  std::string name;
  for (char ch : host) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    name += plain ? ch : '_';
  }
  return name + ".json";
}

std::optional<Contact> read_contact(
    const std::string& path, const std::string& host,
    const std::function<Result<std::optional<auth::Credentials>>()>& credentials) {
  auto bytes = fs::read_regular_file(path, kMaxMemoBytes);
  if (!bytes) return std::nullopt;
  json doc;
  if (auto parsed = parse_untrusted_json(*bytes, "the contact memo " + path, ErrorCode::kIo);
      parsed) {
    doc = std::move(*parsed);
  } else {
    log::debug(parsed.error().message() + "; ignoring it");
    return std::nullopt;
  }
  try {
    if (!doc.is_object() || doc.value("format", 0) != kFormat ||
        doc.value("host", std::string()) != host)
      return std::nullopt;
    Contact c;
    c.scheme = doc.value("scheme", std::string());
    if (c.scheme != "https" && c.scheme != "http") return std::nullopt;
    const json& a = doc.value("auth", json::object());
    c.auth.preemptive = a.value("preemptive", false);
    const json& tokens = a.value("tokens", json::array());
    if (!tokens.empty()) {
      auto creds = credentials();
      if (!creds) return c;  // the tokens cannot be matched to anyone: drop them
      const auto now = Clock::now();
      for (const auto& t : tokens) {
        auth::Authenticator::Memo::Token token;
        token.token = t.at("token").get<std::string>();
        token.expires =
            Clock::time_point(std::chrono::seconds(t.at("expires").get<std::int64_t>()));
        token.scopes = t.at("scopes").get<std::vector<std::string>>();
        if (token.expires <= now) continue;
        if (t.at("binding").get<std::string>() != binding(token.token, *creds)) continue;
        c.auth.tokens.push_back(std::move(token));
      }
    }
    return c;
  } catch (const json::exception& e) {
    log::debug("the contact memo " + path + " is malformed (" + e.what() + "); ignoring it");
    return std::nullopt;
  }
}

std::string contact_text(const std::string& host, const Contact& contact,
                         const std::optional<auth::Credentials>& credentials) {
  json tokens = json::array();
  for (const auto& t : contact.auth.tokens) {
    tokens.push_back(
        {{"token", t.token},
         {"expires",
          std::chrono::duration_cast<std::chrono::seconds>(t.expires.time_since_epoch()).count()},
         {"scopes", t.scopes},
         {"binding", binding(t.token, credentials)}});
  }
  json doc = {{"format", kFormat},
              {"host", host},
              {"scheme", contact.scheme},
              {"auth", {{"preemptive", contact.auth.preemptive}, {"tokens", tokens}}}};
  return doc.dump(1) + "\n";
}

}  // namespace trustctl::registry::detail
