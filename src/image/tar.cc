#include "tar.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace trustctl::image::detail {
namespace {

constexpr std::uint64_t kBlock = 512;

std::string field(std::string_view header, std::size_t offset, std::size_t length) {
  std::string_view f = header.substr(offset, length);
  return std::string(f.substr(0, f.find('\0')));
}

// Octal (space or NUL terminated), or GNU base-256 when the top bit of the first byte is set.
bool parse_number(std::string_view f, std::uint64_t& out) {
  out = 0;
  if (!f.empty() && (static_cast<unsigned char>(f[0]) & 0x80) != 0) {
    if ((static_cast<unsigned char>(f[0]) & 0x40) != 0) return false;  // negative
    for (std::size_t i = 1; i < f.size(); ++i) {
      if (out >> 55) return false;
      out = (out << 8) | static_cast<unsigned char>(f[i]);
    }
    return (static_cast<unsigned char>(f[0]) & 0x3f) == 0;
  }
  std::size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  bool any = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i, any = true) {
    if (out >> 60) return false;
    out = out * 8 + static_cast<std::uint64_t>(f[i] - '0');
  }
  for (; i < f.size(); ++i)
    if (f[i] != ' ' && f[i] != '\0') return false;
  return any;
}

bool checksum_ok(std::string_view h) {
  std::uint64_t stored = 0;
  if (!parse_number(h.substr(148, 8), stored)) return false;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  return sum == stored;
}

// What the previous pax or GNU long-name headers said about the next entry.
struct Pending {
  std::string path;
  std::string link;
  std::string size;  // pax "size": files over 8 GiB have it instead of the ustar field
};

// Pax records "LEN key=value\n"; only path, linkpath and size matter here.
bool parse_pax(std::string_view data, Pending& out) {
  while (!data.empty()) {
    const auto space = data.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 20) return false;
    std::uint64_t len = 0;
    for (char c : data.substr(0, space)) {
      if (c < '0' || c > '9') return false;
      len = len * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (len <= space + 1 || len > data.size() || data[len - 1] != '\n') return false;
    std::string_view record = data.substr(space + 1, len - space - 2);
    data.remove_prefix(len);
    const auto eq = record.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
    if (key == "path") out.path = std::string(value);
    if (key == "linkpath") out.link = std::string(value);
    if (key == "size") out.size = std::string(value);
  }
  return true;
}

bool parse_decimal(const std::string& text, std::uint64_t& out) {
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return !text.empty();
}

TarEntry::Type type_of(char flag) {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return TarEntry::Type::kFile;
    case '1':
      return TarEntry::Type::kHardlink;
    case '2':
      return TarEntry::Type::kSymlink;
    case '5':
      return TarEntry::Type::kDir;
    default:
      return TarEntry::Type::kOther;
  }
}

struct Walk {
  const File& archive;
  const TarLimits& limits;
  const std::string& what;
  std::map<std::string, TarEntry> entries;
  Pending pending;
  std::uint64_t count = 0;

  Error bad(std::uint64_t at, const std::string& why) const {
    return Error(ErrorCode::kIntegrity,
                 what + ": " + why + " (header at byte " + std::to_string(at) + ")");
  }
  Status meta(char flag, std::uint64_t at, std::uint64_t size);
  Status add(std::string_view h, std::uint64_t at, std::uint64_t size);
  Status run();
};

Status Walk::meta(char flag, std::uint64_t at, std::uint64_t size) {
  const std::uint64_t cap =
      flag == 'x' || flag == 'g' ? limits.max_pax_bytes : limits.max_name_bytes;
  if (size > cap)
    return bad(at, "a " + std::to_string(size) + "-byte extended header, more than the " +
                       std::to_string(cap) + " allowed");
  TRUSTCTL_TRY_ASSIGN(std::string data, archive.read_at(at + kBlock, size));
  if (flag == 'L' || flag == 'K') {
    std::string text = data.substr(0, data.find('\0'));
    (flag == 'L' ? pending.path : pending.link) = std::move(text);
  } else if (flag == 'x' && !parse_pax(data, pending)) {
    return bad(at, "a malformed pax header");
  }  // 'g' (global pax) carries nothing docker archives need
  return {};
}

Status Walk::add(std::string_view h, std::uint64_t at, std::uint64_t size) {
  std::string raw = pending.path;
  if (raw.empty()) {
    raw = field(h, 0, 100);
    // Only POSIX ustar ("ustar\0") has a name prefix there; old GNU headers ("ustar  ") keep
    // times at that offset.
    const bool posix = h.substr(257, 6) == std::string_view("ustar\0", 6);
    const std::string prefix = posix ? field(h, 345, 155) : std::string();
    if (!prefix.empty()) raw = prefix + "/" + raw;
  }
  TarEntry e;
  e.type = type_of(h[156]);
  e.offset = at + kBlock;
  e.size = e.type == TarEntry::Type::kFile ? size : 0;
  e.link = pending.link.empty() ? field(h, 157, 100) : pending.link;
  pending = {};
  if (raw.size() > limits.max_name_bytes) return bad(at, "an entry name over the limit");
  const std::string name = normalise_tar_name(raw);
  if (name.empty() && raw != "./" && raw != ".")
    return bad(at, "entry '" + raw + "' is absolute or climbs out with '..'; refused");
  if (name.empty()) return {};
  if (entries.count(name) != 0 && e.type != TarEntry::Type::kDir)
    return bad(at, "entry '" + name + "' appears twice; refused as ambiguous");
  entries[name] = std::move(e);
  return {};
}

Status Walk::run() {
  std::uint64_t at = 0;
  while (at + kBlock <= archive.size()) {
    TRUSTCTL_TRY_ASSIGN(std::string h, archive.read_at(at, kBlock));
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) return {};
    if (!checksum_ok(h)) return bad(at, "not a tar header (bad checksum)");
    std::uint64_t size = 0;
    if (!parse_number(std::string_view(h).substr(124, 12), size)) return bad(at, "bad size field");
    const char flag = h[156];
    const bool is_meta = flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K';
    if (!is_meta && !pending.size.empty() &&
        (pending.size.size() > 19 || !parse_decimal(pending.size, size)))
      return bad(at, "a bad pax size '" + pending.size + "'");
    const std::uint64_t padded = (size + kBlock - 1) / kBlock * kBlock;
    if (size > archive.size() || at + kBlock + padded > archive.size())
      return bad(at, "an entry of " + std::to_string(size) + " bytes runs past the archive's end");
    if (++count > limits.max_entries)
      return bad(at, "more than " + std::to_string(limits.max_entries) + " entries");
    if (is_meta)
      TRUSTCTL_TRY(meta(flag, at, size));
    else
      TRUSTCTL_TRY(add(h, at, size));
    at += kBlock + padded;
  }
  if (at != archive.size() || count == 0)
    return Error(ErrorCode::kIntegrity, what + ": not a tar archive, or truncated");
  return {};  // GNU tar tolerates a missing end marker; so does this
}

std::string octal(std::uint64_t value, std::size_t width) {
  std::string out(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value != 0; value >>= 3)
    out[i] = static_cast<char>('0' + (value & 7));
  return out;  // the NUL that ends the field is already in the header
}

}  // namespace

Result<std::map<std::string, TarEntry>> index_tar(const File& archive, const TarLimits& limits,
                                                  const std::string& what) {
  Walk walk{archive, limits, what, {}, {}, 0};
  TRUSTCTL_TRY(walk.run());
  return std::move(walk.entries);
}

std::string normalise_tar_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return {};
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t next = std::min(name.find('/', pos), name.size());
    std::string_view part = name.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return {};  // refused even when it would stay inside: nothing needs it
    parts.emplace_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// Symbolic link targets are relative to the link's folder (older docker saves link duplicate
// layers as "../<id>/layer.tar"); ".." may climb within the archive but never out of it.
std::string resolve_link_target(const std::string& from, const std::string& target) {
  if (target.empty() || target.front() == '/') return {};
  std::vector<std::string> parts;
  const auto slash = from.find_last_of('/');
  std::string joined = (slash == std::string::npos ? "" : from.substr(0, slash + 1)) + target;
  std::size_t pos = 0;
  while (pos <= joined.size()) {
    std::size_t next = std::min(joined.find('/', pos), joined.size());
    std::string part = joined.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return {};
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Result<TarEntry> resolve_tar_file(const std::map<std::string, TarEntry>& entries,
                                  const std::string& name, const std::string& what) {
  std::string current = normalise_tar_name(name);
  if (current.empty())
    return Error(ErrorCode::kIntegrity,
                 what + ": '" + name + "' is absolute or climbs out with '..'; refused");
  for (int hops = 0; hops <= 8; ++hops) {
    auto it = entries.find(current);
    if (it == entries.end())
      return Error(ErrorCode::kIntegrity, what + ": '" + name + "' is missing from the archive");
    const TarEntry& e = it->second;
    if (e.type == TarEntry::Type::kFile) return e;
    if (e.type == TarEntry::Type::kSymlink)
      current = resolve_link_target(current, e.link);
    else if (e.type == TarEntry::Type::kHardlink)
      current = normalise_tar_name(e.link);
    else
      return Error(ErrorCode::kIntegrity, what + ": '" + name + "' is not a regular file");
    if (current.empty())
      return Error(ErrorCode::kIntegrity,
                   what + ": '" + name + "' links to '" + e.link + "', outside the archive");
  }
  return Error(ErrorCode::kIntegrity, what + ": '" + name + "' links more than 8 times");
}

std::string tar_file_header(const std::string& name, std::uint64_t size) {
  std::string h(kBlock, '\0');
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 99));
  std::memcpy(h.data() + 100, octal(0644, 8).data(), 7);
  std::memcpy(h.data() + 108, octal(0, 8).data(), 7);
  std::memcpy(h.data() + 116, octal(0, 8).data(), 7);
  if (size < (std::uint64_t{1} << 33)) {
    std::memcpy(h.data() + 124, octal(size, 12).data(), 11);
  } else {  // GNU base-256: top bit set, big-endian value in the rest of the field
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  }
  std::memcpy(h.data() + 136, octal(0, 12).data(), 11);
  h[156] = '0';
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  std::uint64_t sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::memcpy(h.data() + 148, octal(sum, 7).data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

std::string tar_padding(std::uint64_t size) {
  return std::string(static_cast<std::size_t>((kBlock - size % kBlock) % kBlock), '\0');
}

std::string tar_end() { return std::string(2 * kBlock, '\0'); }

}  // namespace trustctl::image::detail
