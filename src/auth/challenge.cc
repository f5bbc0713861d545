// WWW-Authenticate parsing (RFC 7235 section 4.1 / 2.1) and token scope strings.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "scope.h"
#include "trustctl/auth/authenticator.h"

namespace trustctl::auth {
namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("-._~+/", c) != nullptr);
}

// Unquoted parameter values must be tokens; a few servers send bare URLs, so '/', ':', '@', '?'
// and '=' are tolerated as well.
bool is_bare_value_char(char c) {
  return is_tchar(c) || (c != '\0' && std::strchr("/:@?=", c) != nullptr);
}

bool is_ws(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view s) : s_(s) {}

  Result<std::vector<Challenge>> parse() {
    std::vector<Challenge> out;
    for (;;) {
      skip_ws_and_commas();
      if (at_end()) break;
      std::string scheme = read_token();
      if (scheme.empty()) return fail("expected an authentication scheme");
      Challenge challenge;
      challenge.scheme = lower(scheme);
      if (!at_end() && !is_ws(peek()) && peek() != ',') return fail("unexpected character");
      bool had_space = skip_ws();
      if (had_space) {
        if (auto token68 = try_token68()) {
          challenge.params[""] = *token68;  // token68 form (unused by registries)
          out.push_back(std::move(challenge));
          continue;
        }
      }
      TRUSTCTL_TRY(parse_params(challenge));
      out.push_back(std::move(challenge));
    }
    if (out.empty()) return Error(ErrorCode::kProtocol, "empty WWW-Authenticate header");
    return out;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }

  bool skip_ws() {
    size_t start = i_;
    while (!at_end() && is_ws(peek())) ++i_;
    return i_ != start;
  }
  void skip_ws_and_commas() {
    while (!at_end() && (is_ws(peek()) || peek() == ',')) ++i_;
  }

  std::string read_token() {
    size_t start = i_;
    while (!at_end() && is_tchar(peek())) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  Error fail(std::string_view what) const {
    return Error(ErrorCode::kProtocol, "malformed WWW-Authenticate header: " + std::string(what) +
                                           " at offset " + std::to_string(i_));
  }

  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", followed by the end
  // of the challenge. Leaves the position untouched when what follows is not one.
  std::optional<std::string> try_token68() {
    size_t j = i_;
    while (j < s_.size() && is_token68_char(s_[j])) ++j;
    if (j == i_) return std::nullopt;
    while (j < s_.size() && s_[j] == '=') ++j;
    size_t end = j;
    while (j < s_.size() && is_ws(s_[j])) ++j;
    if (j < s_.size() && s_[j] != ',') return std::nullopt;
    std::string token(s_.substr(i_, end - i_));
    i_ = j;
    return token;
  }

  Result<std::string> read_quoted() {
    ++i_;  // opening quote
    std::string out;
    while (!at_end()) {
      char c = peek();
      ++i_;
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) break;
        c = peek();
        ++i_;
      }
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return fail("control character in quoted string");
      out += c;
    }
    return fail("unterminated quoted string");
  }

  // #auth-param after a scheme. Stops at the start of the next challenge (a token not followed
  // by '=') or at the end.
  Status parse_params(Challenge& challenge) {
    for (;;) {
      skip_ws_and_commas();
      if (at_end()) return {};
      size_t start = i_;
      std::string name = read_token();
      if (name.empty()) return fail("expected a parameter name");
      skip_ws();
      if (at_end() || peek() != '=') {
        i_ = start;  // the next challenge's scheme
        return {};
      }
      ++i_;
      skip_ws();
      if (at_end()) return fail("missing value for parameter " + name);
      std::string value;
      if (peek() == '"') {
        TRUSTCTL_TRY_ASSIGN(value, read_quoted());
      } else {
        size_t vstart = i_;
        while (!at_end() && is_bare_value_char(peek())) ++i_;
        if (i_ == vstart) return fail("missing value for parameter " + name);
        value = std::string(s_.substr(vstart, i_ - vstart));
      }
      std::string key = lower(name);
      if (challenge.params.count(key)) return fail("parameter " + key + " repeated");
      challenge.params.emplace(std::move(key), std::move(value));
      skip_ws();
      if (at_end()) return {};
      if (peek() != ',') return fail("expected ',' after parameter " + name);
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string Challenge::param(std::string_view key) const {
  auto it = params.find(lower(key));
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<Challenge>> parse_challenges(std::string_view header) {
  return ChallengeParser(header).parse();
}

std::string repository_scope(std::string_view repository, std::string_view actions) {
  return "repository:" + std::string(repository) + ":" + std::string(actions);
}

ScopeSet parse_scopes(const std::vector<std::string>& scopes) {
  ScopeSet out;
  for (const auto& text : scopes) {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      size_t start = i;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      if (i == start) continue;
      std::string_view scope(text.data() + start, i - start);
      // type[(class)]:name:actions; the name may itself hold ':' (host:port/...), so the
      // actions follow the last ':'.
      auto first = scope.find(':');
      auto last = scope.rfind(':');
      if (first == std::string_view::npos || first == last) {
        out.opaque.insert(std::string(scope));  // not a scope we understand: kept verbatim
        continue;
      }
      auto& actions = out.resources[std::string(scope.substr(0, last))];
      std::string_view list = scope.substr(last + 1);
      size_t a = 0;
      while (a <= list.size()) {
        auto comma = list.find(',', a);
        if (comma == std::string_view::npos) comma = list.size();
        if (comma > a) actions.insert(std::string(list.substr(a, comma - a)));
        a = comma + 1;
      }
    }
  }
  return out;
}

std::vector<std::string> format_scopes(const ScopeSet& set) {
  std::vector<std::string> out(set.opaque.begin(), set.opaque.end());
  for (const auto& [resource, actions] : set.resources) {
    std::string s = resource + ":";
    bool first = true;
    for (const auto& a : actions) {
      if (!first) s += ',';
      s += a;
      first = false;
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool scopes_cover(const ScopeSet& granted, const ScopeSet& wanted) {
  for (const auto& s : wanted.opaque)
    if (!granted.opaque.count(s)) return false;
  for (const auto& [resource, actions] : wanted.resources) {
    auto it = granted.resources.find(resource);
    if (it == granted.resources.end()) return false;
    if (it->second.count("*")) continue;
    for (const auto& a : actions)
      if (!it->second.count(a)) return false;
  }
  return true;
}

std::vector<std::string> merge_scopes(const std::vector<std::string>& scopes) {
  return format_scopes(parse_scopes(scopes));
}

}  // namespace trustctl::auth
