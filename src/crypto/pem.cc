#include "trustctl/crypto/pem.h"

#include <algorithm>
#include <cctype>

namespace trustctl::crypto {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes the base64 body (line breaks already removed) straight into wiped memory, sized once
// so no copy is left behind by a reallocation.
Result<SecretBytes> decode_body(const SecretBytes& text) {
  std::string_view s = text.view();
  if (s.size() % 4 != 0) return Error(ErrorCode::kUsage, "malformed PEM: bad base64 length");
  std::size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() >= 2 && s[s.size() - 2] == '=') ++pad;
  SecretBytes out;
  out.reserve(s.size() / 4 * 3);
  for (std::size_t i = 0; i < s.size(); i += 4) {
    int v[4];
    for (std::size_t k = 0; k < 4; ++k) {
      const bool padding_slot = i + 4 == s.size() && k >= 4 - pad;
      if (padding_slot) {
        v[k] = 0;
        continue;
      }
      v[k] = base64_value(s[i + k]);
      if (v[k] < 0) return Error(ErrorCode::kUsage, "malformed PEM: invalid base64 character");
    }
    const unsigned triple = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out.push_back(static_cast<char>(triple >> 16));
    if (!(i + 4 == s.size() && pad >= 2)) out.push_back(static_cast<char>(triple >> 8 & 0xff));
    if (!(i + 4 == s.size() && pad >= 1)) out.push_back(static_cast<char>(triple & 0xff));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string PemBlock::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

Result<std::vector<PemBlock>> pem_decode_all(std::string_view text) {
  std::vector<PemBlock> blocks;
  std::size_t pos = 0;
  while (true) {
    const std::size_t begin = text.find(kBegin, pos);
    if (begin == std::string_view::npos) break;
    std::size_t eol = text.find('\n', begin);
    if (eol == std::string_view::npos) return Error(ErrorCode::kUsage, "malformed PEM: truncated");
    std::string_view begin_line = trim(text.substr(begin, eol - begin));
    if (begin_line.size() < kBegin.size() + kDashes.size() ||
        begin_line.substr(begin_line.size() - kDashes.size()) != kDashes) {
      return Error(ErrorCode::kUsage, "malformed PEM: bad BEGIN line");
    }
    PemBlock block;
    block.label = std::string(
        begin_line.substr(kBegin.size(), begin_line.size() - kBegin.size() - kDashes.size()));
    const std::string end_line = std::string(kEnd) + block.label + std::string(kDashes);
    pos = eol + 1;
    SecretBytes body;
    bool in_headers = true, ended = false;
    while (pos < text.size()) {
      std::size_t next = text.find('\n', pos);
      if (next == std::string_view::npos) next = text.size();
      std::string_view line = trim(text.substr(pos, next - pos));
      pos = next + 1;
      if (line == end_line) {
        ended = true;
        break;
      }
      if (line.substr(0, kEnd.size()) == kEnd) {
        return Error(ErrorCode::kUsage, "malformed PEM: END line does not match " + block.label);
      }
      if (in_headers) {
        if (line.empty()) {
          in_headers = false;
          continue;
        }
        if (auto colon = line.find(':'); colon != std::string_view::npos) {
          block.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
          continue;
        }
        in_headers = false;
      }
      if (line.empty()) continue;
      body.append(line);
    }
    if (!ended) return Error(ErrorCode::kUsage, "malformed PEM: no END line for " + block.label);
    TRUSTCTL_TRY_ASSIGN(block.der, decode_body(body));
    blocks.push_back(std::move(block));
  }
  return blocks;
}

Result<PemBlock> pem_decode(std::string_view text) {
  TRUSTCTL_TRY_ASSIGN(auto blocks, pem_decode_all(text));
  if (blocks.empty()) return Error(ErrorCode::kUsage, "no PEM block found");
  if (blocks.size() > 1) {
    return Error(ErrorCode::kUsage,
                 "expected one PEM block, found " + std::to_string(blocks.size()));
  }
  return std::move(blocks.front());
}

std::string pem_encode(std::string_view label, std::string_view der,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  b64.reserve((der.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < der.size(); i += 3) {
    const auto byte = [&](std::size_t k) {
      return k < der.size() ? static_cast<unsigned>(static_cast<unsigned char>(der[k])) : 0u;
    };
    const unsigned triple = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    b64.push_back(kAlphabet[triple >> 18 & 63]);
    b64.push_back(kAlphabet[triple >> 12 & 63]);
    b64.push_back(i + 1 < der.size() ? kAlphabet[triple >> 6 & 63] : '=');
    b64.push_back(i + 2 < der.size() ? kAlphabet[triple & 63] : '=');
  }
  std::string out = std::string(kBegin) + std::string(label) + std::string(kDashes) + "\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\n";
  if (!headers.empty()) out += "\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += std::string(kEnd) + std::string(label) + std::string(kDashes) + "\n";
  return out;
}

}  // namespace trustctl::crypto
