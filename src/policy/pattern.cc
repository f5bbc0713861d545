// Image patterns: anchored globs over normalised references (docs/policy.md "Patterns").
#include <cctype>
#include <string>
#include <string_view>

#include "trustctl/policy/policy.h"

namespace trustctl::policy {
namespace {

Error bad(std::string_view text, std::string_view why) {
  return Error(ErrorCode::kUsage,
               "malformed image pattern \"" + std::string(text) + "\": " + std::string(why));
}

// Glob match: "**" matches anything (also '/'; "/**/" also matches a single "/"), "*" anything
// but '/'.
bool glob(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p.starts_with("**")) {
    std::string_view rest = p.substr(2);
    if (rest.starts_with('/')) {
      // "**/" may also match no segment at all.
      if (glob(rest.substr(1), s)) return true;
    }
    for (std::size_t i = 0; i <= s.size(); ++i)
      if (glob(rest, s.substr(i))) return true;
    return false;
  }
  if (p.front() == '*') {
    std::string_view rest = p.substr(1);
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (glob(rest, s.substr(i))) return true;
      if (i < s.size() && s[i] == '/') break;
    }
    return false;
  }
  if (s.empty() || p.front() != s.front()) return false;
  return glob(p.substr(1), s.substr(1));
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         c == '*' || c == ':' || c == '[' || c == ']' || c == '/';
}
bool tag_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '*';
}

}  // namespace

Result<ImagePattern> ImagePattern::parse(std::string_view text) {
  ImagePattern p;
  p.text_ = std::string(text);
  if (text.empty()) return bad(text, "empty");
  std::string_view name = text;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    std::string_view digest = name.substr(at + 1);
    name = name.substr(0, at);
    if (!digest.starts_with("sha256:") || digest.size() != 71)
      return bad(text, "a digest is sha256: and 64 hex digits");
    for (char c : digest.substr(7))
      if (!std::isxdigit(static_cast<unsigned char>(c)) ||
          std::isupper(static_cast<unsigned char>(c)))
        return bad(text, "a digest is sha256: and 64 lower-case hex digits");
    p.digest_ = std::string(digest);
  }
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = name.substr(colon + 1);
    // "host:5000" alone is a registry with a port, not a tag: only when a path follows.
    name = name.substr(0, colon);
    if (tag.empty()) return bad(text, "empty tag");
    if (tag.size() > 128) return bad(text, "tag longer than 128 characters");
    for (char c : tag)
      if (!tag_char(c)) return bad(text, "bad character in the tag");
    if (tag.find("**") != std::string_view::npos) return bad(text, "`**` in a tag");
    p.tag_ = std::string(tag);
  }
  if (name.empty()) return bad(text, "no repository");
  for (char c : name)
    if (!name_char(c))
      return bad(text, std::string("character '") + c +
                           "' (names are lower case letters, digits, . _ - / : and * **)");
  if (name.find("***") != std::string_view::npos) return bad(text, "`***`");
  // Segments.
  std::vector<std::string_view> segs;
  for (std::size_t start = 0;;) {
    auto end = name.find('/', start);
    segs.push_back(name.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  for (auto seg : segs) {
    if (seg.empty()) return bad(text, "empty path segment");
    if (seg.find("**") != std::string_view::npos && seg != "**")
      return bad(text, "`**` must be a whole path segment");
  }
  for (std::size_t i = 1; i < segs.size(); ++i)
    if (segs[i].find(':') != std::string_view::npos) return bad(text, "':' inside the path");
  // Docker Hub normalisation, as registry::Reference does: a first segment with '.', ':' or
  // "localhost" is a registry; `**` first stands for any registry.
  std::string first(segs.front());
  bool is_registry = first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
                     first == "localhost" || first.find('[') != std::string::npos;
  std::string normalised(name);
  if (first == "**") {
    // any registry
  } else if (!is_registry) {
    normalised = std::string(registry::kDefaultRegistry) + "/" +
                 (segs.size() == 1 ? "library/" : "") + normalised;
  } else {
    if (segs.size() == 1) return bad(text, "a registry without a repository");
    if (first == "docker.io" && segs.size() == 2 && segs[1] != "**")
      normalised = "docker.io/library/" + std::string(segs[1]);
    if (first == "index.docker.io" || first == "registry-1.docker.io")
      normalised = "docker.io" + normalised.substr(first.size());
  }
  p.name_ = normalised;
  // Rank.
  int doubles = 0, singles = 0, literals = 0;
  const std::string all = p.name_ + p.tag_ + p.digest_;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (std::string_view(all).substr(i).starts_with("**")) {
      ++doubles;
      ++i;
    } else if (all[i] == '*') {
      ++singles;
    } else {
      ++literals;
    }
  }
  p.rank_.has_tag = !p.digest_.empty() ? 2 : !p.tag_.empty() ? 1 : 0;
  p.rank_.neg_double_stars = -doubles;
  p.rank_.neg_single_stars = -singles;
  p.rank_.literal_chars = literals;
  return p;
}

bool ImagePattern::matches(const registry::Reference& ref) const {
  if (!glob(name_, ref.name())) return false;
  if (!digest_.empty() && ref.digest != digest_) return false;
  if (!tag_.empty()) {
    // A pattern with a tag needs a reference with a matching tag; an image written without tag
    // or digest is pulled as `latest`.
    std::string tag = ref.tag;
    if (tag.empty() && ref.digest.empty()) tag = "latest";
    if (tag.empty() || !glob(tag_, tag)) return false;
  }
  return true;
}

}  // namespace trustctl::policy
