#include "interpolation.h"

#include <cctype>
#include <filesystem>

#include "trustctl/core/fs.h"
#include "yaml_util.h"

extern char** environ;

namespace trustctl::admission {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

Result<std::string> interpolate(std::string_view text, const Environment& env,
                                const std::string& file, int line) {
  std::string out;
  auto bad = [&](const std::string& why) {
    return usage_at(file, line, "invalid interpolation in \"" + std::string(text) + "\": " + why);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 >= text.size()) return bad("a lone '$' (write $$ for a literal $)");
    char n = text[i + 1];
    if (n == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (name_start(n)) {
      std::size_t j = i + 1;
      while (j < text.size() && name_char(text[j])) ++j;
      std::string name(text.substr(i + 1, j - i - 1));
      if (auto it = env.find(name); it != env.end()) out += it->second;
      i = j - 1;
      continue;
    }
    if (n != '{') return bad("'$' must be followed by a name, {name} or $");
    // ${...}: find the matching brace (defaults may nest ${...}).
    std::size_t depth = 1, j = i + 2;
    for (; j < text.size() && depth > 0; ++j) {
      if (text[j] == '{') ++depth;
      if (text[j] == '}') --depth;
    }
    if (depth != 0) return bad("unclosed ${");
    std::string_view inner = text.substr(i + 2, j - i - 3);
    i = j - 1;
    std::size_t k = 0;
    if (inner.empty() || !name_start(inner[0]))
      return bad("a variable name starts with a letter or _");
    while (k < inner.size() && name_char(inner[k])) ++k;
    std::string name(inner.substr(0, k));
    std::string_view op = inner.substr(k);
    auto it = env.find(name);
    bool set = it != env.end();
    bool non_empty = set && !it->second.empty();
    if (op.empty()) {
      if (set) out += it->second;
      continue;
    }
    bool colon = op.front() == ':';
    if (colon) op.remove_prefix(1);
    if (op.empty()) return bad("nothing after ':'");
    char kind = op.front();
    std::string_view arg = op.substr(1);
    bool present = colon ? non_empty : set;
    if (kind == '-') {
      if (present) {
        out += it->second;
      } else {
        TRUSTCTL_TRY_ASSIGN(std::string d, interpolate(arg, env, file, line));
        out += d;
      }
    } else if (kind == '?') {
      if (!present)
        return usage_at(file, line,
                        "required variable " + name + " is missing a value: " + std::string(arg));
      out += it->second;
    } else if (kind == '+') {
      if (present) {
        TRUSTCTL_TRY_ASSIGN(std::string d, interpolate(arg, env, file, line));
        out += d;
      }
    } else {
      return bad("unknown operator after the name");
    }
  }
  return out;
}

Result<Environment> parse_env_file(std::string_view text, const std::string& file) {
  Environment env;
  int line = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    if (l.empty() || l.front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    if (l.starts_with("export ")) l.remove_prefix(7);
    auto eq = l.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return usage_at(file, line, "not a KEY=VALUE line");
    std::string key(l.substr(0, eq));
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    for (char c : key)
      if (!name_char(c)) return usage_at(file, line, "\"" + key + "\" is not a variable name");
    std::string value(l.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else {
      // An unquoted value ends at " #".
      if (auto hash = value.find(" #"); hash != std::string::npos) value.resize(hash);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    env[key] = value;
    if (end == text.size()) break;
  }
  return env;
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Environment> compose_environment(Environment env, const std::string& env_file) {
  std::error_code ec;
  if (!env_file.empty() && std::filesystem::is_regular_file(env_file, ec)) {
    TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_file(env_file));
    TRUSTCTL_TRY_ASSIGN(Environment dot, parse_env_file(text, env_file));
    for (auto& [k, v] : dot) env.emplace(k, v);  // the process environment wins
  }
  return env;
}

}  // namespace trustctl::admission
