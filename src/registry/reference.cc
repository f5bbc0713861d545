#include "trustctl/registry/reference.h"

#include <arpa/inet.h>

#include <cctype>

#include "trustctl/registry/digest.h"

namespace trustctl::registry {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component: [a-z0-9]+ ( ( [_.] | __ | [-]* ) [a-z0-9]+ )*
bool is_valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "_" || sep == "." || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool is_valid_domain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d;
  std::string_view port;
  if (d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string inner(d.substr(1, close - 1));
    in6_addr addr{};
    if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    auto colon = d.rfind(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    // domain-component(.domain-component)*, each [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
    size_t start = 0;
    for (;;) {
      size_t dot = host.find('.', start);
      std::string_view comp = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (comp.empty() || comp.front() == '-' || comp.back() == '-') return false;
      for (char c : comp)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (!port.empty() && (port.size() > 5 || std::stoul(std::string(port)) > 65535)) return false;
  return true;
}

Error usage(std::string_view text, const std::string& why) {
  return Error(ErrorCode::kUsage, "invalid reference '" + std::string(text) + "': " + why);
}

}  // namespace

bool is_valid_tag(std::string_view tag) {
  // [\w][\w.-]{0,127}
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool is_valid_repository_path(std::string_view path) {
  if (path.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    auto comp = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!is_valid_component(comp)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Result<Reference> Reference::parse(std::string_view text) {
  if (text.empty()) return usage(text, "it is empty");
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return usage(text, "it contains white space or control characters");
  }
  if (text.find("://") != std::string_view::npos)
    return usage(text, "write it without a scheme, e.g. localhost:5000/secure-app:v1");

  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto digest = Digest::parse(rest.substr(at + 1));
    if (!digest) return usage(text, digest.error().message());
    ref.digest = digest->string();
    rest = rest.substr(0, at);
  }
  // A tag follows the last ':' that comes after the last '/'.
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!is_valid_tag(tag))
      return usage(text, "tag '" + std::string(tag) +
                             "' must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return usage(text, "the repository name is missing");

  // The first component is a registry if it has '.' or ':', is localhost, or has capitals.
  std::string_view path = rest;
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    bool has_upper = false;
    for (char c : first) has_upper = has_upper || std::isupper(static_cast<unsigned char>(c));
    if (first.find_first_of(".:[") != std::string_view::npos || first == "localhost" || has_upper) {
      if (!is_valid_domain(first))
        return usage(text, "registry '" + std::string(first) + "' is not a valid host[:port]");
      ref.registry = std::string(first);
      path = rest.substr(slash + 1);
    }
  }
  if (ref.registry.empty() || ref.registry == "index.docker.io" ||
      ref.registry == "registry-1.docker.io") {
    ref.registry = std::string(kDefaultRegistry);
  }
  for (char c : path) {
    if (std::isupper(static_cast<unsigned char>(c)))
      return usage(text, "repository name '" + std::string(path) + "' must be lower case");
  }
  if (!is_valid_repository_path(path))
    return usage(text, "repository name '" + std::string(path) +
                           "' must be lower-case components of [a-z0-9] joined by '/' with "
                           "single separators . _ __ or -");
  ref.repository = std::string(path);
  if (ref.registry == kDefaultRegistry && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.name().size() > 255) return usage(text, "the name is longer than 255 characters");
  return ref;
}

std::string Reference::name() const { return registry + "/" + repository; }

std::string Reference::string() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::reference_or(std::string_view fallback) const {
  if (!digest.empty()) return digest;
  if (!tag.empty()) return tag;
  return std::string(fallback);
}

std::string Reference::api_host() const {
  return registry == kDefaultRegistry ? "registry-1.docker.io" : registry;
}

}  // namespace trustctl::registry
