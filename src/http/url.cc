#include <arpa/inet.h>

#include <cctype>
#include <string>

#include "trustctl/http/http_client.h"

namespace trustctl::http {
namespace {

// Length of "scheme://authority" in `url`, or npos when `url` is not absolute.
size_t origin_length(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string_view::npos;
  for (size_t i = 0; i < scheme_end; ++i) {
    char c = url[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return std::string_view::npos;
  }
  auto path = url.find_first_of("/?#", scheme_end + 3);
  return path == std::string_view::npos ? url.size() : path;
}

}  // namespace

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_origin(std::string_view url) {
  auto n = origin_length(url);
  return n == std::string_view::npos ? std::string() : std::string(url.substr(0, n));
}

std::string url_host_port(std::string_view url) {
  std::string origin = url_origin(url);
  if (origin.empty()) return origin;
  std::string authority = origin.substr(origin.find("://") + 3);
  auto at = authority.rfind('@');
  return at == std::string::npos ? authority : authority.substr(at + 1);
}

bool is_loopback_host(std::string_view host_port) {
  std::string_view host = host_port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = host.substr(1, close == std::string_view::npos ? host.size() - 1 : close - 1);
    return host == "::1";
  }
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (host == "localhost") return true;
  in_addr addr{};
  std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

std::string resolve_url(std::string_view base, std::string_view ref) {
  if (origin_length(ref) != std::string_view::npos) return std::string(ref);
  if (ref.substr(0, 2) == "//") {
    auto colon = base.find(':');
    return std::string(base.substr(0, colon + 1)) + std::string(ref);
  }
  std::string origin = url_origin(base);
  if (!ref.empty() && ref[0] == '/') return origin + std::string(ref);
  // Relative path: replace the last segment of the base path (query and fragment dropped).
  std::string_view path = base.substr(origin.size());
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  std::string dir = slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash + 1));
  if (!ref.empty() && ref[0] == '?') {
    return origin + std::string(path) + std::string(ref);
  }
  return origin + dir + std::string(ref);
}

}  // namespace trustctl::http
