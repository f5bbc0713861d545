// What the webhook answers (docs/webhook.md, "Responses"): the denial message, the warnings,
// the JSON Patch of pinned images, and the AdmissionReview response around them.
#include "trustctl/core/encoding.h"
#include "trustctl/core/json_reader.h"
#include "trustctl/webhook/review.h"

namespace trustctl::webhook {
namespace {

using admission::Finding;
using admission::Verdict;

// Where a finding points in the object: the image for the checks about it, else the container.
std::string field_of(const Finding& f) {
  std::string path = f.path.empty() ? f.container : f.path;
  if (f.check == admission::kSignatureCheck || f.check == admission::kPolicyCheck) path += ".image";
  return path;
}

std::string image_of(const Finding& f) {
  std::string out = f.image.empty() ? std::string("(no image)") : f.image;
  if (!f.digest.empty() && out.find('@') == std::string::npos) out += " (" + f.digest + ")";
  return out;
}

// At most `limit` bytes, cut at a character boundary, "..." marking a cut.
std::string cut(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "...";
}

// Appends `text` as a JSON string: quote, backslash and control bytes escaped, UTF-8 kept; a
// byte that is not valid UTF-8 is written as U+FFFD, so the answer is always JSON.
void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (;;) {
    const std::size_t bad = find_invalid_utf8(text);
    for (char ch : text.substr(0, bad)) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(ch);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c < 0x20) {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
      } else {
        out.push_back(ch);
      }
    }
    if (bad == std::string_view::npos) break;
    out += "\\ufffd";
    text.remove_prefix(bad + 1);
  }
  out.push_back('"');
}

}  // namespace

std::string cut_warning(std::string text) { return cut(std::move(text), kMaxWarningLength); }

std::string denial_message(const admission::Report& report) {
  std::string out;
  for (const auto& f : report.findings) {
    if (f.result != Verdict::kFail) continue;
    if (!out.empty()) out += '\n';
    out += field_of(f) + ": " + f.check + ": " + image_of(f) + ": " + f.message;
  }
  return out;
}

std::vector<std::string> warnings_of(const admission::Report& report) {
  std::vector<std::string> out;
  for (const auto& f : report.findings)
    if (f.result == Verdict::kWarn)
      out.push_back(cut(f.container + ": " + f.check + ": " + f.message, kMaxWarningLength));
  return out;
}

nlohmann::json image_patch(const admission::Report& report) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& pin : report.path_pins)
    ops.push_back(
        {{"op", "replace"}, {"path", json_pointer(pin.path) + "/image"}, {"value", pin.pinned}});
  if (ops.empty()) return nullptr;
  return ops;
}

std::string response_body(const Review& review, const Decision& decision) {
  // Written directly (a JSON value built and dumped cost more than the rest of a warm review).
  std::string out = "{\"apiVersion\":";
  append_string(out, review.api_version);
  out += ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":";
  append_string(out, review.uid);
  out += decision.allowed ? ",\"allowed\":true" : ",\"allowed\":false";
  if (!decision.allowed) {
    out += ",\"status\":{\"code\":403,\"status\":\"Failure\",\"reason\":\"Forbidden\",\"message\":";
    append_string(out, decision.message);
    out += '}';
  }
  if (!decision.warnings.empty()) {
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < decision.warnings.size(); ++i) {
      if (i) out += ',';
      append_string(out, decision.warnings[i]);
    }
    out += ']';
  }
  if (decision.allowed && decision.patch.is_array() && !decision.patch.empty()) {
    out += ",\"patchType\":\"JSONPatch\",\"patch\":";
    append_string(out, encoding::base64_encode(decision.patch.dump()));
  }
  out += "}}";
  return out;
}

}  // namespace trustctl::webhook
