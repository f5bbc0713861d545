// What the webhook answers (docs/webhook.md, "Responses"): the denial message, the warnings,
// the JSON Patch of pinned images, and the AdmissionReview response around them.
#include "trustctl/core/encoding.h"
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
  nlohmann::json response = {{"uid", review.uid}, {"allowed", decision.allowed}};
  if (!decision.allowed)
    response["status"] = {{"code", 403},
                          {"status", "Failure"},
                          {"reason", "Forbidden"},
                          {"message", decision.message}};
  if (!decision.warnings.empty()) response["warnings"] = decision.warnings;
  if (decision.allowed && decision.patch.is_array() && !decision.patch.empty()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = encoding::base64_encode(decision.patch.dump());
  }
  nlohmann::json out = {
      {"apiVersion", review.api_version}, {"kind", "AdmissionReview"}, {"response", response}};
  return out.dump();
}

}  // namespace trustctl::webhook
